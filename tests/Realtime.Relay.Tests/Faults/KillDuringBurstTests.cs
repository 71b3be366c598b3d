using LiteDB;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Processes;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Faults;

/// <summary>
/// The relay process stopped (kill -9, or SIGTERM) and started again while the backend (the
/// official pusher Node SDK) keeps publishing to a plugin's channel and the plugin keeps polling:
/// nothing acknowledged comes back, everything stored before the stop is delivered exactly once,
/// order holds, and every event that was missed lies inside the window a relay:gap announces.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class KillDuringBurstTests(SoketiAndRelay env) : IClassFixture<SoketiAndRelay>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_restart_during_a_burst_loses_nothing_stored_duplicates_nothing_and_signals_every_missed_event(bool kill9)
    {
        var dbPath = TempDirectory.NewDatabasePath("relay-burst");
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, RelayProcess.EnvironmentFor(env.Soketi, dbPath));
        var plugin = await PairedPlugin.PairAsync(relay.BaseUrl);
        await env.UntilPusherHasAsync(plugin.Channel);
        var inboxId = "plugin:" + plugin.PluginId;

        var poller = new InboxPoller(plugin);
        using var stopPolling = new CancellationTokenSource();
        var polling = PollUntilStoppedAsync(poller, relay.BaseUrl, stopPolling.Token);
        using var burst = PusherNodeBurst.Start(env.Soketi, plugin.Channel, "burst");
        try
        {
            await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref _seenCount) >= 10), TimeSpan.FromSeconds(60), "the plugin to receive 10 events of the burst");

            if (kill9) relay.Kill(); else await relay.StopAsync();
            var storedAtStop = StoredEvents(dbPath, inboxId);
            var publishedAtStop = burst.Published;
            await burst.UntilPublishedAsync(publishedAtStop + 10, "the backend to publish while the relay is down");
            await relay.StartAgainAsync();
            var publishedAtStart = burst.Published;
            await Wait.UntilAsync(() => Task.FromResult(MaxSeen(poller) > publishedAtStart), TimeSpan.FromSeconds(60),
                "the plugin to receive an event published after the relay started again");
            var lastPublished = await burst.StopAsync();
            await Wait.UntilAsync(() => Task.FromResult(MaxSeen(poller) >= lastPublished), TimeSpan.FromSeconds(60), "the last event of the burst");
            stopPolling.Cancel();
            await polling;

            var seen = poller.Seen;
            var context = string.Join(",", seen.Select(e => e.Event == "burst" ? ((int)e.Data!["i"]!).ToString() : e.Event));
            Assert.Empty(poller.Redelivered);
            var burstIs = seen.Where(e => e.Event == "burst").Select(e => (int)e.Data!["i"]!).ToList();
            Assert.True(burstIs.Zip(burstIs.Skip(1)).All(p => p.First < p.Second), "in order, each once: " + context);
            foreach (var stored in storedAtStop)
                Assert.True(seen.Any(e => e.Seq == stored.Seq && e.Event == stored.Event), $"stored event {stored.Seq} ({stored.Event}) was delivered: {context}");

            var gapAt = seen.FindIndex(e => e.Event == "relay:gap" && (string?)e.Data!["reason"] == "relay_restarted");
            Assert.True(gapAt >= 0, "a relay:gap after the restart: " + context);
            var before = seen.Take(gapAt).Where(e => e.Event == "burst").Select(e => (int)e.Data!["i"]!).DefaultIfEmpty(0).Max();
            var after = seen.Skip(gapAt).Where(e => e.Event == "burst").Select(e => (int)e.Data!["i"]!).DefaultIfEmpty(int.MaxValue).Min();
            var missing = Enumerable.Range(1, lastPublished).Except(burstIs).ToList();
            Assert.True(missing.All(i => i > before && i < after),
                $"every missed event lies inside the gap ({before}, {after}); missing: {string.Join(",", missing)}; seen: {context}");
        }
        finally
        {
            stopPolling.Cancel();
            try { await polling; } catch (OperationCanceledException) { }
        }
    }

    private int _seenCount;

    private static int MaxSeen(InboxPoller poller)
    {
        lock (poller) return poller.Seen.Where(e => e.Event == "burst").Select(e => (int)e.Data!["i"]!).DefaultIfEmpty(0).Max();
    }

    /// <summary>The plugin's poll loop, on while the relay stops and starts (a failed poll is simply tried again).</summary>
    private async Task PollUntilStoppedAsync(InboxPoller poller, string relayUrl, CancellationToken stop)
    {
        await Task.Yield();
        while (!stop.IsCancellationRequested)
        {
            bool answered;
            try { answered = await poller.PollOnceAsync(relayUrl, wait: 2, lockOn: poller); }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException) { answered = false; }
            lock (poller) Volatile.Write(ref _seenCount, poller.Seen.Count);
            if (!answered) await Task.Delay(100, CancellationToken.None); // the relay is restarting
        }
    }

    /// <summary>What the stopped relay's file holds for the inbox (read from a copy: the original stays untouched).</summary>
    private static List<(long Seq, string Event)> StoredEvents(string dbPath, string inboxId)
    {
        var copyDir = TempDirectory.New("relay-burst-copy");
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(dbPath)!))
            File.Copy(file, Path.Combine(copyDir, Path.GetFileName(file)));
        using var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(copyDir, Path.GetFileName(dbPath)) });
        return db.GetCollection("events").Find(Query.EQ("InboxId", inboxId))
            .Select(d => (d["Seq"].AsInt64, d["Event"].AsString)).OrderBy(e => e.Item1).ToList();
    }
}
