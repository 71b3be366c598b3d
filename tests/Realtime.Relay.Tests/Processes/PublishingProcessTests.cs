using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// Publishing with everything real and separate: the relay process, soketi, pusher-js as the
/// dashboard; the relay reaches soketi through a proxy that can cut it off.
/// </summary>
public sealed class PublishingProcessTests : IAsyncLifetime
{
    private SoketiServer _soketi = null!;
    private TcpProxy _proxy = null!;
    private RelayProcess _relay = null!;

    public async Task InitializeAsync()
    {
        _soketi = await SoketiServer.StartAsync();
        _proxy = new TcpProxy(_soketi.Port);
        var env = RelayProcess.EnvironmentFor(_soketi, TempDirectory.NewDatabasePath("relay-pub"));
        env["PUSHER_PORT"] = _proxy.Port.ToString();
        _relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, env);
    }

    private static StringContent Events(params object[] events) =>
        new(new JObject { ["events"] = JArray.FromObject(events) }.ToString(), Encoding.UTF8, "application/json");

    private async Task<HttpStatusCode> TriggerAsync(PairedPlugin plugin, params object[] events)
    {
        using var http = plugin.Client(_relay.BaseUrl);
        return (await http.PostAsync(plugin.BasePath + "/trigger", Events(events))).StatusCode;
    }

    [Fact]
    public async Task A_plugin_cannot_publish_on_another_plugins_channel_or_pose_as_another_sender()
    {
        var alice = await PairedPlugin.PairAsync(_relay.BaseUrl);
        var bob = await PairedPlugin.PairAsync(_relay.BaseUrl);
        Assert.Equal(HttpStatusCode.Forbidden, await TriggerAsync(alice, new { channel = bob.Channel, @event = "x", data = 1 }));

        await using var dashboard = await PusherJsClient.ConnectAsync(PusherJsOptions.For(_soketi));
        await dashboard.SubscribeAsync("roblox-sync");
        Assert.Equal(HttpStatusCode.Accepted, await TriggerAsync(alice,
            new { channel = "roblox-sync", @event = "place-changed", data = new { from = new { kind = "plugin", id = bob.PluginId } } }));
        var received = await dashboard.NextEventAsync("roblox-sync", "place-changed", Patience.Step);
        Assert.Equal(alice.PluginId, (string?)received["data"]!["from"]!["id"]);
        Assert.Equal(bob.PluginId, (string?)received["data"]!["data"]!["from"]!["id"]); // the forgery stays inside data
    }

    [Fact]
    public async Task While_soketi_is_down_triggers_are_accepted_and_when_it_returns_each_is_published_once_in_order()
    {
        var plugin = await PairedPlugin.PairAsync(_relay.BaseUrl);
        _proxy.Block();
        await _soketi.StopAsync();
        for (var i = 1; i <= 5; i++)
        {
            var step = new { channel = "roblox-sync", @event = "step", data = new { i }, id = "step-" + i };
            Assert.Equal(HttpStatusCode.Accepted, await TriggerAsync(plugin, step));
            Assert.Equal(HttpStatusCode.Accepted, await TriggerAsync(plugin, step)); // a client retry: same id
        }

        await _soketi.StartAgainAsync();
        await using var dashboard = await PusherJsClient.ConnectAsync(PusherJsOptions.For(_soketi));
        await dashboard.SubscribeAsync("roblox-sync");
        _proxy.Unblock();

        await dashboard.WaitForAsync(_ => dashboard.Events.Count(e => (string?)e["event"] == "step") >= 5, TimeSpan.FromSeconds(40), "5 steps");
        Assert.Equal(HttpStatusCode.Accepted, await TriggerAsync(plugin, new { channel = "roblox-sync", @event = "marker", data = 0 }));
        await dashboard.NextEventAsync("roblox-sync", "marker", Patience.Step); // anything after the steps has arrived by now
        var steps = dashboard.Events.Where(e => (string?)e["event"] == "step").Select(e => (int)e["data"]!["data"]!["i"]!);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, steps);
    }

    [Fact]
    public async Task A_relay_client_on_roblox_sync_hears_another_clients_event_but_never_its_own()
    {
        var sender = await PairedPlugin.PairAsync(_relay.BaseUrl);
        var listener = await PairedPlugin.PairAsync(_relay.BaseUrl);
        foreach (var plugin in new[] { sender, listener })
        {
            using var http = plugin.Client(_relay.BaseUrl);
            var res = await http.PutAsync(plugin.BasePath + "/subscriptions", new StringContent("{\"channels\":[\"roblox-sync\"]}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        }
        await Wait.UntilAsync(async () => (await new Realtime.Pusher.Rest.PusherRestClient(_soketi.PusherOptions()).GetChannelAsync("roblox-sync")).Occupied,
            Patience.Step, "the relay to subscribe roblox-sync");

        Assert.Equal(HttpStatusCode.Accepted, await TriggerAsync(sender, new { channel = "roblox-sync", @event = "selection-changed", data = new { n = 1 } }));
        var (first, next) = await HeardUntilAsync(listener, "selection-changed");
        using var rest = new Realtime.Pusher.Rest.PusherRestClient(_soketi.PusherOptions());
        await rest.TriggerAsync("roblox-sync", "marker", new { }); // after the publish: an echo would come before it
        var (rest2, _) = await HeardUntilAsync(listener, "marker", after: next);

        Assert.Equal(new[] { "selection-changed", "marker" }, first.Concat(rest2));
        Assert.Equal(new[] { "marker" }, (await HeardUntilAsync(sender, "marker")).Heard);
    }

    /// <summary>Long-polls <paramref name="plugin"/>'s inbox (from seq <paramref name="after"/>) until <paramref name="last"/> arrives.</summary>
    private async Task<(List<string?> Heard, long Next)> HeardUntilAsync(PairedPlugin plugin, string last, long after = 0)
    {
        using var http = plugin.Client(_relay.BaseUrl);
        var heard = new List<string?>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        while (!heard.Contains(last))
        {
            var page = JObject.Parse(await http.GetStringAsync($"{plugin.BasePath}/events?after={after}&wait=20", timeout.Token));
            heard.AddRange(((JArray)page["events"]!).Select(e => (string?)e["event"]));
            after = (long)page["next"]!;
        }
        return (heard, after);
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _proxy.DisposeAsync();
        await _soketi.DisposeAsync();
    }
}
