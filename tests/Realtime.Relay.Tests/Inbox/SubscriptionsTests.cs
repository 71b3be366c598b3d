using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Inbox;

public sealed class SubscriptionsTests : IDisposable
{
    private readonly RelayFactory _relay = new();
    private readonly InboxHarness _inbox;

    public SubscriptionsTests() => _inbox = new InboxHarness(_relay);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_client_always_hears_its_own_channel()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        var json = JObject.Parse(await http.GetStringAsync(plugin.BasePath + "/subscriptions"));
        Assert.Equal(new[] { plugin.OwnChannel }, json["channels"]!.Values<string>());
        var (server, serverHttp) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g42");
        json = JObject.Parse(await serverHttp.GetStringAsync(server.BasePath + "/subscriptions"));
        Assert.Equal(new[] { "private-game-g42" }, json["channels"]!.Values<string>());
    }

    [Fact]
    public async Task Public_channels_can_be_added_and_their_events_reach_only_their_listeners()
    {
        var (listener, http) = await _inbox.NewClientAsync();
        var (other, otherHttp) = await _inbox.NewClientAsync();
        var res = await http.PutAsync(listener.BasePath + "/subscriptions", Json("{\"channels\":[\"roblox-sync\",\"content-generation-9\"]}"));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var channels = JObject.Parse(await res.Content.ReadAsStringAsync())["channels"]!.Values<string>().ToList();
        Assert.Equal(new[] { listener.OwnChannel, "content-generation-9", "roblox-sync" }, channels);

        await _inbox.HeardOnPusherAsync("content-generation-9", "progress", "{\"pct\":50}");
        var heard = await InboxHarness.PollAsync(http, listener);
        Assert.Equal("progress", (string?)heard["events"]![0]!["event"]);
        var notHeard = await InboxHarness.PollAsync(otherHttp, other);
        Assert.Empty((JArray)notHeard["events"]!);
    }

    [Fact]
    public async Task The_relay_subscribes_a_channel_once_and_unsubscribes_when_nobody_is_left()
    {
        var router = _relay.Services.GetRequiredService<ChannelRouter>();
        var (a, httpA) = await _inbox.NewClientAsync();
        var (b, httpB) = await _inbox.NewClientAsync();
        await httpA.PutAsync(a.BasePath + "/subscriptions", Json("{\"channels\":[\"system-status\"]}"));
        await httpB.PutAsync(b.BasePath + "/subscriptions", Json("{\"channels\":[\"system-status\"]}"));
        Assert.Equal(2, router.InboxesFor("system-status").Count);
        Assert.Single(router.Channels, c => c == "system-status");

        await httpA.PutAsync(a.BasePath + "/subscriptions", Json("{\"channels\":[]}"));
        Assert.Single(router.InboxesFor("system-status"));
        await httpB.PutAsync(b.BasePath + "/subscriptions", Json("{\"channels\":[]}"));
        Assert.DoesNotContain("system-status", router.Channels);
        Assert.Contains(a.OwnChannel, router.Channels);
    }

    [Theory]
    [InlineData("{\"channels\":[\"private-user-teacher\"]}", HttpStatusCode.Forbidden)]
    [InlineData("{\"channels\":[\"presence-game-1\"]}", HttpStatusCode.Forbidden)]
    [InlineData("{\"channels\":[\"private-plugin-someone-else\"]}", HttpStatusCode.Forbidden)]
    [InlineData("{\"channels\":[\"bad channel!\"]}", HttpStatusCode.BadRequest)]
    [InlineData("{\"channels\":[\"content-generation-\"]}", HttpStatusCode.Forbidden)]
    [InlineData("{}", HttpStatusCode.BadRequest)]
    [InlineData("{\"channels\":\"roblox-sync\"}", HttpStatusCode.BadRequest)]
    [InlineData("not json", HttpStatusCode.BadRequest)]
    public async Task Channels_outside_the_policy_or_malformed_bodies_are_refused_and_change_nothing(string body, HttpStatusCode expected)
    {
        var (client, http) = await _inbox.NewClientAsync();
        await http.PutAsync(client.BasePath + "/subscriptions", Json("{\"channels\":[\"roblox-sync\"]}"));
        var res = await http.PutAsync(client.BasePath + "/subscriptions", Json(body));
        Assert.Equal(expected, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var json = JObject.Parse(await http.GetStringAsync(client.BasePath + "/subscriptions"));
        Assert.Equal(new[] { client.OwnChannel, "roblox-sync" }, json["channels"]!.Values<string>());
    }

    // Names as JSON string contents (escapes included), so the relay decodes the real characters.
    [Theory]
    [InlineData(@"content-generation-9\n")]
    [InlineData(@"roblox-sync\n")]
    [InlineData(@"content-generation-9\r\nid: 999")]
    [InlineData(@"content-generation-\u2028")]
    public async Task A_channel_name_with_a_line_break_is_400_invalid_name_and_not_subscribed(string jsonChannel)
    {
        var (client, http) = await _inbox.NewClientAsync();
        var res = await http.PutAsync(client.BasePath + "/subscriptions", Json($"{{\"channels\":[\"{jsonChannel}\"]}}"));
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Equal("invalid_name", (string?)JObject.Parse(text)["code"]);
        var json = JObject.Parse(await http.GetStringAsync(client.BasePath + "/subscriptions"));
        Assert.Equal(new[] { client.OwnChannel }, json["channels"]!.Values<string>());
        Assert.Equal(new[] { client.OwnChannel }, _relay.Services.GetRequiredService<ChannelRouter>().Channels);
    }

    [Fact]
    public async Task A_pusher_reconnect_puts_one_relay_gap_into_each_affected_inbox()
    {
        var router = _relay.Services.GetRequiredService<ChannelRouter>();
        var (a, httpA) = await _inbox.NewClientAsync();
        var (b, httpB) = await _inbox.NewClientAsync();
        await httpA.PutAsync(a.BasePath + "/subscriptions", Json("{\"channels\":[\"roblox-sync\"]}"));
        await router.ReportGapAsync([a.OwnChannel, "roblox-sync"]);

        var gapA = (JArray)(await InboxHarness.PollAsync(httpA, a))["events"]!;
        var gap = Assert.Single(gapA);
        Assert.Equal("relay:gap", (string?)gap["event"]);
        Assert.Equal(new[] { a.OwnChannel, "roblox-sync" }, gap["data"]!["channels"]!.Values<string>().Order());
        Assert.Empty((JArray)(await InboxHarness.PollAsync(httpB, b))["events"]!);
    }

    public void Dispose() => _relay.Dispose();
}
