using System.Net;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Inbox;
using Realtime.Relay.Tests.Support;
using Realtime.Relay.Webhooks;

namespace Realtime.Relay.Tests.Webhooks;

/// <summary>POST /api/v1/pusher/webhooks: signed as Pusher signs them (HMAC-SHA256 of the body with the app secret).</summary>
public sealed class PusherWebhookTests : IDisposable
{
    private readonly RelayFactory _relay = new();
    private readonly InboxHarness _inbox;

    public PusherWebhookTests() => _inbox = new InboxHarness(_relay);

    private static string Body(params object[] events) => BodySentAt(DateTimeOffset.UtcNow, events);

    private static string BodySentAt(DateTimeOffset sentAt, params object[] events) =>
        new JObject { ["time_ms"] = sentAt.ToUnixTimeMilliseconds(), ["events"] = JArray.FromObject(events) }.ToString(Newtonsoft.Json.Formatting.None);

    private static string Sign(string body, string secret = "app-secret") =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    private Task<HttpResponseMessage> PostAsync(string body, string? signature, string key = "app-key")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/pusher/webhooks") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Pusher-Key", key);
        if (signature is not null) request.Headers.Add("X-Pusher-Signature", signature);
        return _relay.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task Occupied_and_vacated_on_a_plugin_channel_tell_the_plugin_whether_it_is_watched()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        var occupied = Body(new { name = "channel_occupied", channel = plugin.OwnChannel });
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(occupied, Sign(occupied))).StatusCode);
        var vacated = Body(new { name = "channel_vacated", channel = plugin.OwnChannel }, new { name = "channel_vacated", channel = "roblox-sync" });
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(vacated, Sign(vacated))).StatusCode);

        var events = (JArray)(await InboxHarness.PollAsync(http, plugin))["events"]!;
        Assert.Equal(new[] { "relay:watchers", "relay:watchers" }, events.Select(e => (string?)e["event"]));
        Assert.True((bool)events[0]["data"]!["watching"]!);
        Assert.False((bool)events[1]["data"]!["watching"]!);
    }

    [Fact]
    public async Task Subscription_counts_discount_the_relays_own_subscription()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        var body = Body(new { name = "subscription_count", channel = plugin.OwnChannel, subscription_count = 1 },
                        new { name = "subscription_count", channel = plugin.OwnChannel, subscription_count = 3 });
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(body, Sign(body))).StatusCode);
        var events = (JArray)(await InboxHarness.PollAsync(http, plugin))["events"]!;
        Assert.Equal((false, 0), ((bool)events[0]["data"]!["watching"]!, (int)events[0]["data"]!["watchers"]!));
        Assert.Equal((true, 2), ((bool)events[1]["data"]!["watching"]!, (int)events[1]["data"]!["watchers"]!));
    }

    [Theory]
    [InlineData("wrong-signature")]
    [InlineData("wrong-secret")]
    [InlineData("wrong-key")]
    [InlineData("missing-signature")]
    public async Task A_webhook_that_is_not_signed_by_pusher_is_refused_and_changes_nothing(string flaw)
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        var body = Body(new { name = "channel_occupied", channel = plugin.OwnChannel });
        var res = flaw switch
        {
            "wrong-signature" => await PostAsync(body, Sign(body + " ")),
            "wrong-secret" => await PostAsync(body, Sign(body, "not-the-secret")),
            "wrong-key" => await PostAsync(body, Sign(body), key: "other-key"),
            _ => await PostAsync(body, null),
        };
        Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
        Assert.Equal("invalid_webhook", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["code"]);
        Assert.Empty((JArray)(await InboxHarness.PollAsync(http, plugin, wait: 1))["events"]!);
    }

    [Fact]
    public async Task A_signed_body_that_is_not_a_webhook_is_400()
    {
        const string body = "{not json";
        var res = await PostAsync(body, Sign(body));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
    }

    [Theory]
    [InlineData(-6)]
    [InlineData(6)]
    [InlineData(-7 * 24 * 60)] // a week old
    public async Task A_webhook_sent_more_than_five_minutes_from_now_is_400_stale_webhook_and_changes_nothing(int minutesFromNow)
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        var stale = BodySentAt(DateTimeOffset.UtcNow.AddMinutes(minutesFromNow), new { name = "channel_occupied", channel = plugin.OwnChannel });
        var res = await PostAsync(stale, Sign(stale));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("stale_webhook", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["code"]);

        var marker = Body(new { name = "channel_vacated", channel = plugin.OwnChannel });
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(marker, Sign(marker))).StatusCode);
        var events = (JArray)(await InboxHarness.PollAsync(http, plugin))["events"]!;
        Assert.Equal(new[] { false }, events.Select(e => (bool)e["data"]!["watching"]!)); // only the marker's
    }

    [Fact]
    public async Task An_identical_webhook_body_seen_before_is_acknowledged_and_ignored()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        var occupied = Body(new { name = "channel_occupied", channel = plugin.OwnChannel });
        var first = await PostAsync(occupied, Sign(occupied));
        var replay = await PostAsync(occupied, Sign(occupied));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, replay.StatusCode));
        Assert.True((bool)JObject.Parse(await replay.Content.ReadAsStringAsync())["duplicate"]!);

        var marker = Body(new { name = "channel_vacated", channel = plugin.OwnChannel });
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(marker, Sign(marker))).StatusCode);
        var events = (JArray)(await InboxHarness.PollAsync(http, plugin))["events"]!;
        Assert.Equal(new[] { true, false }, events.Select(e => (bool)e["data"]!["watching"]!)); // one occupied, then the marker
    }

    [Fact]
    public void Remembered_webhook_bodies_are_bounded_and_forgotten_once_their_time_is_stale()
    {
        var clock = new FakeTime();
        var guard = new WebhookReplayGuard(clock);
        var sentAt = clock.GetUtcNow();
        for (var i = 0; i <= WebhookReplayGuard.MaxRemembered; i++) Assert.NotNull(guard.TryClaim(Encoding.UTF8.GetBytes("body " + i), sentAt));
        Assert.Equal(WebhookReplayGuard.MaxRemembered, guard.Remembered);
        Assert.Null(guard.TryClaim(Encoding.UTF8.GetBytes("body " + WebhookReplayGuard.MaxRemembered), sentAt)); // the newest is kept

        clock.Advance(WebhookReplayGuard.MaxAge + TimeSpan.FromSeconds(1));
        Assert.NotNull(guard.TryClaim(Encoding.UTF8.GetBytes("a new body"), clock.GetUtcNow()));
        Assert.Equal(1, guard.Remembered);
    }

    public void Dispose() => _relay.Dispose();
}
