using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Pusher;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Tests.Processes;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Faults;

/// <summary>
/// The relay process with its database on a real, small disk that fills up: writes fail fast
/// with 503 <c>storage_unavailable</c>, /readyz says why, and once space is freed the same
/// process works again with nothing stored earlier lost and the lost events told as a gap.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class DiskFullTests : IAsyncLifetime
{
    private SoketiServer _soketi = null!;
    private SmallDisk _disk = null!;

    public async Task InitializeAsync()
    {
        _disk = SmallDisk.Mount(megabytes: 8);
        _soketi = await SoketiServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _soketi.DisposeAsync();
        _disk.Dispose();
    }

    [Fact]
    public async Task A_relay_stopped_cleanly_starts_on_a_full_disk_and_writes_again_once_space_is_freed()
    {
        var path = Path.Combine(_disk.Path, "relay.db");
        var client = new RelayClient(ClientKind.Plugin, ClientTokens.NewId(), null);
        var first = await LiteDbInboxFile.OpenAsync(path);
        await first.Inboxes.OpenAsync(client);
        for (var i = 1; i <= 5; i++) await first.Inboxes.AppendAsync([client.InboxId], new IncomingEvent(client.OwnChannel, "e" + i, "{}"));
        await first.DisposeAsync(); // a clean stop: its mark is in the file

        _disk.Fill();
        // A start only reads (the mark goes with the run's first write): writes fail with storage_unavailable until
        // space is freed, as above.
        var second = await LiteDbInboxFile.OpenAsync(path);
        try
        {
            _disk.Free();
            await Wait.UntilAsync(async () =>
            {
                try { await second.Inboxes.SetSubscriptionsAsync(client.InboxId, ["private-x"]); return true; }
                catch (StorageUnavailableException) { return false; }
            }, TimeSpan.FromSeconds(30), "a write to work once space is freed");
            Assert.Equal(5, (await second.Inboxes.ReadAfterAsync(client.InboxId, 0, 100)).Count);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_full_disk_fails_writes_with_503_and_readyz_says_why_and_the_relay_recovers_by_itself_when_space_is_freed()
    {
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll,
            RelayProcess.EnvironmentFor(_soketi, Path.Combine(_disk.Path, "relay.db")));
        var plugin = await PairedPlugin.PairAsync(relay.BaseUrl);
        var channel = plugin.Channel;
        await UntilPusherHasAsync(channel);
        var backend = new PusherNodeBackend(_soketi);
        var poller = new InboxPoller(plugin);
        await backend.TriggerAsync(channel, "before-full", new { n = 1 });
        await poller.UntilAsync(e => e.Event == "before-full", relay.BaseUrl, "the event stored before the disk filled", acknowledge: false);

        _disk.Fill();
        using var http = plugin.Client(relay.BaseUrl);
        HttpResponseMessage refused = null!;
        await Wait.UntilAsync(async () =>
        {
            refused = await http.PutAsync(plugin.BasePath + "/subscriptions", Http.Json(new { channels = new[] { "roblox-sync" } }));
            return refused.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, TimeSpan.FromSeconds(30), "a write to be refused on the full disk");
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("storage_unavailable", (string?)(await Http.ReadAsync(refused))["code"]);

        var (readyStatus, ready) = await new HttpClient().GetJsonAsync(relay.BaseUrl + "/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
        Assert.False((bool)ready["checks"]!["litedb"]!["ready"]!);
        Assert.Contains("space", (string?)ready["checks"]!["litedb"]!["detail"], StringComparison.OrdinalIgnoreCase);

        // An event published now cannot be stored: it must come back as a gap, never vanish.
        await backend.TriggerAsync(channel, "while-full", new { n = 2 });
        await Wait.UntilAsync(() => Task.FromResult(relay.HasPrinted("get relay:gap once storage works")),
            TimeSpan.FromSeconds(30), "the relay to fail storing the event published while the disk is full");

        _disk.Free();
        await Wait.UntilAsync(async () => await Wait.HttpOkAsync(relay.BaseUrl + "/readyz"), TimeSpan.FromSeconds(60), "readyz 200 after space is freed");
        var accepted = await http.PutAsync(plugin.BasePath + "/subscriptions", Http.Json(new { channels = new[] { "roblox-sync" } }));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await backend.TriggerAsync(channel, "after-free", new { n = 3 });
        await poller.UntilAsync(e => e.Event == "after-free", relay.BaseUrl, "an event published after space was freed");

        Assert.False(relay.HasExited, "the relay process kept running");
        var events = poller.Seen.Select(e => e.Event).ToList();
        Assert.Equal(1, events.Count(e => e == "before-full")); // stored before: still there, once
        var gap = Assert.Single(poller.Gaps, g => (string?)g.Data!["reason"] == "storage_unavailable");
        Assert.Contains(channel, gap.Data!["channels"]!.Select(c => (string)c!));
        Assert.True(events.IndexOf("relay:gap") < events.IndexOf("after-free"), string.Join(",", events));
        Assert.DoesNotContain("while-full", events); // lost, and said so by the gap
    }

    private async Task UntilPusherHasAsync(string channel)
    {
        using var rest = new Realtime.Pusher.Rest.PusherRestClient(_soketi.PusherOptions());
        await Wait.UntilAsync(async () => (await rest.GetChannelAsync(channel)).Occupied, TimeSpan.FromSeconds(15), $"soketi to see {channel} occupied");
    }
}

/// <summary>Fault tests start and stop processes and fill disks: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultsCollection
{
    public const string Name = "Faults";
}
