using System.Diagnostics;
using Realtime.Pusher.Rest;

namespace Realtime.Bench;

/// <summary>
/// Three relays on one Redis behind haproxy; C sessions, one channel each, drained by long-poll
/// loops through the front while the backend publishes a steady stream (a REST batch of 10 every
/// tick). Then <c>kill -9</c> of the node holding the first channel's lease (docs/cluster.md,
/// "Channel ownership"). Measured per channel the dead node owned: time from the kill until an
/// event published after it is delivered again, and until <c>relay:gap</c> (reason
/// <c>node_failed</c>) is seen; and over every channel, events lost (split into the announced
/// window around the kill and everything else, which must be none), duplicates and seq breaks.
/// </summary>
public static class FailoverScenario
{
    private const string GameId = "bench-failover";
    private const string Prefix = "content-generation-fo-";
    private static readonly TimeSpan BeforeKill = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AfterKill = TimeSpan.FromSeconds(20);
    /// <summary>An event triggered this long before the kill may still be on its way through the dead node: announced by the gap, not judged.</summary>
    private static readonly TimeSpan InFlightAtKill = TimeSpan.FromSeconds(1);

    public static async Task RunAsync(int clients, int tickMs, Topology topology)
    {
        var name = $"failover [{topology.Label}]";
        await using var env = await BenchEnvironment.StartAsync(topology);
        var redis = env.Redis ?? throw new InvalidOperationException("failover needs a Redis topology");
        using var api = new RelayApi(env.RelayUrl, TimeSpan.FromSeconds(60));

        var key = await api.CreateGameAsync(GameId);
        var sessions = new Session[clients];
        for (var k = 0; k < clients; k++)
        {
            sessions[k] = await api.RegisterAsync(GameId, key, $"fo-{k:D3}");
            await api.SubscribeAsync(sessions[k], Prefix + k);
        }
        // Every channel subscribed by its owner, and the owners spread over the nodes.
        var owners = new string?[clients];
        var settled = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < settled)
        {
            for (var k = 0; k < clients; k++) owners[k] = await RedisCommands.RunAsync(redis, "GET", "relay:cluster:channel:" + Prefix + k);
            var occupied = (await env.Backend.GetChannelsAsync(Prefix)).Count;
            if (occupied == clients && owners.All(o => o is not null) && owners.Distinct().Count() == env.Relays.Count) break;
            await Task.Delay(500);
        }
        Report.Progress(name, "channel owners: " + string.Join(", ", owners.GroupBy(o => o ?? "none").Select(g => $"{g.Key} {g.Count()}")));

        long total = (long)((BeforeKill + AfterKill).TotalMilliseconds / tickMs + 2) * 10;
        var sent = new long[total];
        var received = new long[total];
        var gapAt = new long[clients];
        // Seq of each channel's relay:gap and of its first event published after the kill: the gap should come first.
        var gapSeq = new long[clients];
        var firstAfterKillSeq = new long[clients];
        var gapReasons = new HashSet<string>();
        long delivered = 0, duplicates = 0, seqBreaks = 0, pollErrors = 0, killedAt = 0;
        using var stop = new CancellationTokenSource();

        async Task Drain(int k)
        {
            long cursor = 0;
            while (!stop.IsCancellationRequested)
            {
                PollAnswer answer;
                try { answer = await api.PollAsync(sessions[k], cursor, 25, 1000, stop.Token); }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    // A poll held on the killed node, or sent to it before haproxy's check marks it down.
                    Interlocked.Increment(ref pollErrors);
                    try { await Task.Delay(100, stop.Token); } catch (OperationCanceledException) { return; }
                    continue;
                }
                var now = Stopwatch.GetTimestamp();
                foreach (var e in answer.Events)
                {
                    if (e.Seq != cursor + 1) Interlocked.Increment(ref seqBreaks);
                    cursor = e.Seq;
                    if (e.Event == "relay:gap")
                    {
                        if (Interlocked.Read(ref killedAt) != 0 && Interlocked.CompareExchange(ref gapAt[k], now, 0) == 0) gapSeq[k] = e.Seq;
                        lock (gapReasons) gapReasons.Add(e.Reason ?? "?");
                        continue;
                    }
                    if (e.Id < 0 || e.Id >= total) continue;
                    var killed = Interlocked.Read(ref killedAt);
                    if (killed != 0 && sent[e.Id] > killed && firstAfterKillSeq[k] == 0) firstAfterKillSeq[k] = e.Seq;
                    if (Interlocked.CompareExchange(ref received[e.Id], now, 0) == 0) Interlocked.Increment(ref delivered);
                    else Interlocked.Increment(ref duplicates);
                }
                cursor = Math.Max(cursor, answer.Next);
            }
        }
        var drains = Enumerable.Range(0, clients).Select(k => Task.Run(() => Drain(k))).ToArray();

        // Event i goes to channel i mod C; a batch of 10 every tick.
        long published = 0, publishFailures = 0;
        var pending = new List<Task>();
        var victim = owners[0];
        var victimNode = env.Relays.First(r => r.NodeId == victim);
        var start = Stopwatch.GetTimestamp();
        var tick = 0;
        string?[] ownersAtKill = [];
        while (Stopwatch.GetElapsedTime(start) < BeforeKill + AfterKill)
        {
            if (killedAt == 0 && Stopwatch.GetElapsedTime(start) >= BeforeKill)
            {
                for (var k = 0; k < clients; k++) owners[k] = await RedisCommands.RunAsync(redis, "GET", "relay:cluster:channel:" + Prefix + k);
                ownersAtKill = (string?[])owners.Clone();
                Report.Progress(name, $"kill -9 {victim} (owns {ownersAtKill.Count(o => o == victim)} of {clients} channels); {Interlocked.Read(ref delivered)} delivered so far");
                victimNode.Process.Kill();
                Interlocked.Exchange(ref killedAt, Stopwatch.GetTimestamp());
            }
            var first = tick * 10L;
            tick++;
            pending.Add(Task.Run(async () =>
            {
                var ids = Enumerable.Range(0, 10).Select(j => first + j).ToArray();
                var now = Stopwatch.GetTimestamp();
                foreach (var id in ids) sent[id] = now;
                try
                {
                    await env.Backend.TriggerBatchAsync(ids.Select(id => new BatchEvent(Prefix + (id % clients), "bench", $$"""{"id":{{id}}}""")).ToList());
                    Interlocked.Add(ref published, ids.Length);
                }
                catch (Exception e) when (e is HttpRequestException or PusherApiException or TaskCanceledException)
                {
                    foreach (var id in ids) sent[id] = 0;
                    Interlocked.Add(ref publishFailures, ids.Length);
                }
            }));
            var due = start + (long)(tick * (double)tickMs * Stopwatch.Frequency / 1000);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
        }
        await Task.WhenAll(pending);
        var lastCount = -1L;
        var drainDeadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < drainDeadline && Interlocked.Read(ref delivered) != lastCount)
        {
            lastCount = Interlocked.Read(ref delivered);
            await Task.Delay(2000); // until nothing more arrives for 2 s
        }
        await stop.CancelAsync();
        await Task.WhenAll(drains);

        var affected = Enumerable.Range(0, clients).Where(k => ownersAtKill[k] == victim).ToArray();
        var flowAgain = new List<double>();
        var gapSeen = new List<double>();
        long lostAnnounced = 0, lostOther = 0, sentCount = 0;
        var inFlightTicks = (long)(InFlightAtKill.TotalSeconds * Stopwatch.Frequency);
        for (var k = 0; k < clients; k++)
        {
            long resumed = long.MaxValue;
            for (var id = (long)k; id < tick * 10L; id += clients)
            {
                if (sent[id] == 0) continue;
                if (sent[id] > killedAt && received[id] != 0) resumed = Math.Min(resumed, received[id]);
            }
            for (var id = (long)k; id < tick * 10L; id += clients)
            {
                if (sent[id] == 0) continue;
                sentCount++;
                if (received[id] != 0) continue;
                var inWindow = affected.Contains(k) && sent[id] >= killedAt - inFlightTicks && sent[id] <= resumed;
                if (inWindow) lostAnnounced++;
                else lostOther++;
            }
            if (affected.Contains(k))
            {
                flowAgain.Add(resumed == long.MaxValue ? double.NaN : Stopwatch.GetElapsedTime(killedAt, resumed).TotalSeconds);
                gapSeen.Add(gapAt[k] == 0 ? double.NaN : Stopwatch.GetElapsedTime(killedAt, gapAt[k]).TotalSeconds);
            }
        }
        var unaffectedStall = Enumerable.Range(0, clients).Except(affected).Select(k =>
        {
            var firstAfter = Enumerable.Range(0, (int)(tick * 10L)).Where(id => id % clients == k && sent[id] > killedAt && received[id] != 0)
                .Select(id => received[id]).DefaultIfEmpty(0).Min();
            return firstAfter == 0 ? double.NaN : Stopwatch.GetElapsedTime(killedAt, firstAfter).TotalSeconds;
        }).ToList();

        string Range(List<double> seconds) => seconds.Count == 0 ? "none" :
            seconds.Any(double.IsNaN) ? $"{seconds.Count(double.IsNaN)} of {seconds.Count} never" :
            $"{seconds.Min():0.0}..{seconds.Max():0.0} s";
        var allRecovered = flowAgain.Count > 0 && flowAgain.All(s => !double.IsNaN(s));
        var allGapped = gapSeen.Count > 0 && gapSeen.All(s => !double.IsNaN(s));
        Report.Add(new Figure(name, "channels / killed node owned", $"{clients} / {affected.Length} ({victim})"));
        Report.Add(new Figure(name, "published / delivered", $"{Interlocked.Read(ref published)} / {Interlocked.Read(ref delivered)}, publish failures {publishFailures}"));
        Report.Add(new Figure(name, "kill → events flow again (dead node's channels)", Range(flowAgain), "< 10 s", allRecovered && flowAgain.Max() < 10));
        Report.Add(new Figure(name, "kill → relay:gap seen (dead node's channels)", Range(gapSeen) + ", reasons " + string.Join("/", gapReasons), "all, node_failed", allGapped && gapReasons.Contains("node_failed")));
        var gapFirst = affected.Count(k => gapSeq[k] != 0 && (firstAfterKillSeq[k] == 0 || gapSeq[k] < firstAfterKillSeq[k]));
        Report.Add(new Figure(name, "relay:gap before the first event published after the kill", $"{gapFirst} of {affected.Length} channels", "all", gapFirst == affected.Length));
        Report.Add(new Figure(name, "kill → next event (other channels)", Range(unaffectedStall)));
        Report.Add(new Figure(name, "lost inside the announced window", $"{lostAnnounced} of {sentCount}"));
        Report.Add(new Figure(name, "lost elsewhere / duplicated / seq breaks", $"{lostOther} / {duplicates} / {seqBreaks}", "0 / 0 / 0", lostOther == 0 && duplicates == 0 && seqBreaks == 0));
        Report.Add(new Figure(name, "failed polls (through the front)", $"{pollErrors}"));
    }
}
