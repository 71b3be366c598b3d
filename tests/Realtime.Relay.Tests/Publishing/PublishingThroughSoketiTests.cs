using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Relay.Clients;
using Realtime.Relay.Publishing;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.LiteDb;
using Realtime.Relay.Tests.Inbox;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Publishing;

/// <summary>
/// The outbox publishing to a real soketi (through a proxy that can cut the relay off),
/// with pusher-js as the dashboard.
/// </summary>
public sealed class PublishingThroughSoketiTests : IAsyncLifetime
{
    private SoketiServer _soketi = null!;
    private TcpProxy _proxy = null!;
    private RelayFactory _relay = null!;
    private InboxHarness _inbox = null!;

    public async Task InitializeAsync()
    {
        _soketi = await SoketiServer.StartAsync();
        _proxy = new TcpProxy(_soketi.Port);
        _relay = new RelayFactory(new Dictionary<string, string?> { ["PUSHER_PORT"] = _proxy.Port.ToString() });
        _inbox = new InboxHarness(_relay);
    }

    private static StringContent Trigger(params (string Channel, string Event, object Data, string? Id)[] events) => new(
        new JObject { ["events"] = new JArray(events.Select(e => new JObject
        {
            ["channel"] = e.Channel, ["event"] = e.Event, ["data"] = JToken.FromObject(e.Data), ["id"] = e.Id,
        })) }.ToString(), Encoding.UTF8, "application/json");

    private Task<PusherJsClient> DashboardAsync() => PusherJsClient.ConnectAsync(PusherJsOptions.For(_soketi));

    [Fact]
    public async Task A_plugins_roblox_sync_event_reaches_the_dashboard_wrapped_with_its_sender()
    {
        await using var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("roblox-sync");
        var (plugin, http) = await _inbox.NewClientAsync(gameId: "g5");
        var res = await http.PostAsync(plugin.BasePath + "/trigger", Trigger(("roblox-sync", "selection-changed", new { count = 2 }, null)));
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);

        var received = await dashboard.NextEventAsync("roblox-sync", "selection-changed", Patience.Step);
        Assert.Equal("plugin", (string?)received["data"]!["from"]!["kind"]);
        Assert.Equal(plugin.Id, (string?)received["data"]!["from"]!["id"]);
        Assert.Equal("g5", (string?)received["data"]!["from"]!["gameId"]);
        Assert.Equal(2, (int)received["data"]!["data"]!["count"]!);
    }

    [Fact]
    public async Task Trigger_ids_that_differ_only_in_case_are_two_events_and_both_are_published()
    {
        await using var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("roblox-sync");
        var (plugin, http) = await _inbox.NewClientAsync();
        foreach (var (id, n) in new[] { ("Move-1", 1), ("move-1", 2) })
        {
            var res = await http.PostAsync(plugin.BasePath + "/trigger", Trigger(("roblox-sync", "moved-" + n, new { n }, id)));
            var body = JObject.Parse(await res.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
            Assert.Equal(1, (int)body["accepted"]!);
        }
        Assert.Equal(1, (int)(await dashboard.NextEventAsync("roblox-sync", "moved-1", TimeSpan.FromSeconds(15)))["data"]!["data"]!["n"]!);
        Assert.Equal(2, (int)(await dashboard.NextEventAsync("roblox-sync", "moved-2", TimeSpan.FromSeconds(15)))["data"]!["data"]!["n"]!);
    }

    [Fact]
    public async Task Events_accepted_while_soketi_is_down_are_published_once_in_order_when_it_returns()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        _proxy.Block();
        await _soketi.StopAsync();
        for (var i = 1; i <= 6; i++)
        {
            var res = await http.PostAsync(plugin.BasePath + "/trigger", Trigger(("roblox-sync", "step", new { i }, "step-" + i)));
            Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
            if (i % 2 == 0) // the client retries, as after a timeout: same id
                Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync(plugin.BasePath + "/trigger", Trigger(("roblox-sync", "step", new { i }, "step-" + i)))).StatusCode);
        }

        await _soketi.StartAgainAsync();
        await using var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("roblox-sync");
        _proxy.Unblock();

        // The outbox publishes in acceptance order: once a later marker is seen, any duplicate step would have been too.
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync(plugin.BasePath + "/trigger", Trigger(("roblox-sync", "marker", new { i = 0 }, "marker")))).StatusCode);
        await dashboard.NextEventAsync("roblox-sync", "marker", Patience.Step);
        var steps = dashboard.Events.Where(e => (string?)e["event"] == "step").Select(e => (int)e["data"]!["data"]!["i"]!).ToList();
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6 }, steps);
    }

    [Fact]
    public async Task A_batch_pusher_accepted_is_not_published_again_when_storing_its_completion_fails_once()
    {
        await using var relay = new RelayFactory(new Dictionary<string, string?> { ["PUSHER_PORT"] = _soketi.Port.ToString() },
            services => services.AddSingleton<IOutboxStore>(sp => new FirstCompletionFails(ActivatorUtilities.CreateInstance<LiteDbOutboxStore>(sp))));
        var inbox = new InboxHarness(relay);
        await using var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("roblox-sync");
        var (plugin, http) = await inbox.NewClientAsync();

        var res = await http.PostAsync(plugin.BasePath + "/trigger", Trigger(("roblox-sync", "once", new { n = 1 }, "once-1")));
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        // Same sender, so published after "once" is completed: the marker proves nothing of "once" is still to come.
        res = await http.PostAsync(plugin.BasePath + "/trigger", Trigger(("roblox-sync", "marker", new { n = 2 }, "marker-2")));
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        await dashboard.NextEventAsync("roblox-sync", "marker");

        Assert.Equal(["once", "marker"], dashboard.Events.Select(e => (string?)e["event"]).ToList());
    }

    /// <summary>The outbox on its real LiteDB file, except that storing the first completion fails as a restarting Redis does.</summary>
    private sealed class FirstCompletionFails(IOutboxStore inner) : IOutboxStore
    {
        private int _completions;

        public Task<int> AcceptAsync(IReadOnlyList<(OutboxEntry Entry, string? Key)> events, DateTime now) => inner.AcceptAsync(events, now);
        public Task<List<OutboxEntry>> OldestAsync(int count) => inner.OldestAsync(count);
        public Task<int> CountAsync() => inner.CountAsync();
        public Task RejectAsync(long entryId) => inner.RejectAsync(entryId);
        public Task<int> ForgetKeysAsync(DateTime cutoff) => inner.ForgetKeysAsync(cutoff);

        public Task CompleteAsync(IReadOnlyList<OutboxDelivery> published) => Interlocked.Increment(ref _completions) == 1
            ? throw new StorageUnavailableException("the store is restarting (test)")
            : inner.CompleteAsync(published);
    }

    [Fact]
    public async Task Another_relay_client_on_the_channel_hears_the_event_but_the_sender_does_not()
    {
        var (sender, senderHttp) = await _inbox.NewClientAsync();
        var (listener, listenerHttp) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g2");
        var subscribe = new StringContent("{\"channels\":[\"roblox-sync\"]}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await senderHttp.PutAsync(sender.BasePath + "/subscriptions", subscribe)).StatusCode);
        subscribe = new StringContent("{\"channels\":[\"roblox-sync\"]}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await listenerHttp.PutAsync(listener.BasePath + "/subscriptions", subscribe)).StatusCode);

        await senderHttp.PostAsync(sender.BasePath + "/trigger", Trigger(("roblox-sync", "place-changed", new { placeId = 7 }, null)));
        var heard = await InboxHarness.PollAsync(listenerHttp, listener, wait: 20);
        var e = Assert.Single((JArray)heard["events"]!);
        Assert.Equal("place-changed", (string?)e["event"]);
        Assert.Equal(sender.Id, (string?)e["data"]!["from"]!["id"]);

        var own = await InboxHarness.PollAsync(senderHttp, sender, wait: 2);
        Assert.Empty((JArray)own["events"]!);
    }

    public async Task DisposeAsync()
    {
        _relay.Dispose();
        await _proxy.DisposeAsync();
        await _soketi.DisposeAsync();
    }
}
