using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Pusher;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Rest;
using Realtime.Relay.Clients;
using Realtime.Relay.PusherConnection;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>The relay hearing a real soketi on its clients' behalf, and telling them about gaps.</summary>
public sealed class PusherFeedTests : IAsyncLifetime
{
    private SoketiServer _soketi = null!;
    private RelayFactory _relay = null!;
    private InboxHarness _inbox = null!;
    private PusherRestClient _backend = null!;

    public async Task InitializeAsync()
    {
        _soketi = await SoketiServer.StartAsync();
        _relay = new RelayFactory(new Dictionary<string, string?> { ["PUSHER_PORT"] = _soketi.Port.ToString() });
        _inbox = new InboxHarness(_relay);
        _backend = new PusherRestClient(_soketi.PusherOptions());
    }

    private async Task UntilRelayHearsAsync(string channel) =>
        await Wait.UntilAsync(() => Task.FromResult(_relay.Services.GetRequiredService<PusherFeed>().IsSubscribed(channel)),
            Patience.Step, $"the relay's subscription to {channel}");

    [Fact]
    public async Task An_event_the_backend_triggers_to_a_plugin_channel_is_returned_by_long_poll()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        await UntilRelayHearsAsync(plugin.OwnChannel);
        await _backend.TriggerAsync(plugin.OwnChannel, "insert-content", new { kind = "script", name = "Hello" });

        var answer = await InboxHarness.PollAsync(http, plugin, wait: 20);
        var e = Assert.Single((JArray)answer["events"]!);
        Assert.Equal("insert-content", (string?)e["event"]);
        Assert.Equal(plugin.OwnChannel, (string?)e["channel"]);
        Assert.Equal("Hello", (string?)e["data"]!["name"]);
    }

    [Fact]
    public async Task A_client_event_from_pusher_js_on_the_plugin_channel_reaches_the_inbox()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        await UntilRelayHearsAsync(plugin.OwnChannel);
        var authorizer = new PusherAuthorizer(_soketi.Settings.Key, _soketi.Settings.Secret);
        await using var auth = new LocalAuthEndpoint((socketId, channel) => authorizer.AuthorizePrivateChannel(socketId, channel).ToJson());
        await using var dashboard = await PusherJsClient.ConnectAsync(new PusherJsOptions
        {
            Key = _soketi.Settings.Key, Host = _soketi.Host, Port = _soketi.Port, AuthEndpoint = auth.Url,
        });
        Assert.Equal("subscribed", (string?)(await dashboard.SubscribeAsync(plugin.OwnChannel))["type"]);
        dashboard.TriggerClientEvent(plugin.OwnChannel, "client-hello", new { from = "dashboard" });

        var answer = await InboxHarness.PollAsync(http, plugin, wait: 20);
        var e = Assert.Single((JArray)answer["events"]!);
        Assert.Equal("client-hello", (string?)e["event"]);
        Assert.Equal("dashboard", (string?)e["data"]!["from"]);
    }

    [Fact]
    public async Task After_soketi_comes_back_each_inbox_gets_relay_gap_and_then_new_events()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        await UntilRelayHearsAsync(plugin.OwnChannel);
        _soketi.Kill();
        await _soketi.StartAgainAsync();

        var gapAnswer = await InboxHarness.PollAsync(http, plugin, wait: 20);
        var gap = Assert.Single((JArray)gapAnswer["events"]!);
        Assert.Equal("relay:gap", (string?)gap["event"]);
        Assert.Contains(plugin.OwnChannel, gap["data"]!["channels"]!.Values<string>());

        await UntilRelayHearsAsync(plugin.OwnChannel);
        await _backend.TriggerAsync(plugin.OwnChannel, "after-gap", new { ok = true });
        var next = await InboxHarness.PollAsync(http, plugin, after: (long)gapAnswer["next"]!, wait: 20);
        Assert.Equal("after-gap", (string?)next["events"]![0]!["event"]);
    }

    [Fact]
    public async Task A_relay_client_never_hears_its_own_publish_and_another_hears_it_once()
    {
        var (sender, senderHttp) = await _inbox.NewClientAsync();
        var (listener, listenerHttp) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g3");
        foreach (var (client, http) in new[] { (sender, senderHttp), (listener, listenerHttp) })
            await http.PutAsync(client.BasePath + "/subscriptions", new StringContent("{\"channels\":[\"roblox-sync\"]}", Encoding.UTF8, "application/json"));
        await UntilRelayHearsAsync("roblox-sync");

        await senderHttp.PostAsync(sender.BasePath + "/trigger", new StringContent(
            "{\"events\":[{\"channel\":\"roblox-sync\",\"event\":\"selection-changed\",\"data\":{\"n\":1}}]}", Encoding.UTF8, "application/json"));
        var heard = await InboxHarness.PollAsync(listenerHttp, listener, wait: 20);
        Assert.Single((JArray)heard["events"]!);
        await _backend.TriggerAsync("roblox-sync", "marker", new { }); // everything before it has been heard by now
        var rest = await InboxHarness.PollAsync(listenerHttp, listener, after: (long)heard["next"]!, wait: 20);
        Assert.Equal(new[] { "marker" }, ((JArray)rest["events"]!).Select(e => (string?)e["event"]));

        var own = await InboxHarness.PollAsync(senderHttp, sender, wait: 20);
        Assert.Equal(new[] { "marker" }, ((JArray)own["events"]!).Select(e => (string?)e["event"]));
    }

    [Fact]
    public async Task Events_from_pusher_with_line_breaks_or_relay_names_are_dropped_counted_and_the_channel_flows_on()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        await UntilRelayHearsAsync(plugin.OwnChannel);
        var droppedBefore = await DroppedCountAsync();
        foreach (var name in new[] { "evil\nid: 999999\nevent: relay:revoked", "line\u2028separator", "Relay:revoked", " relay:gap" })
            await _backend.TriggerAsync(plugin.OwnChannel, name, new { forged = true });
        await _backend.TriggerAsync(plugin.OwnChannel, "marker", new { }); // heard after all of the above: one channel keeps order

        var answer = await InboxHarness.PollAsync(http, plugin, wait: 20);
        Assert.Equal(new[] { "marker" }, ((JArray)answer["events"]!).Select(e => (string?)e["event"]));
        Assert.Equal(4, await DroppedCountAsync() - droppedBefore);
    }

    private async Task<double> DroppedCountAsync()
    {
        return PrometheusText.Sum(await _relay.CreateClient().GetStringAsync("/metrics"), "relay_pusher_events_dropped_total");
    }

    public async Task DisposeAsync()
    {
        _relay.Dispose();
        _backend.Dispose();
        await _soketi.DisposeAsync();
    }
}
