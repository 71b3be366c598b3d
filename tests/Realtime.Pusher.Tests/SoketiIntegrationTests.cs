using Newtonsoft.Json.Linq;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Rest;
using Realtime.Pusher.Tests.Support;
using Realtime.Pusher.Validation;
using Realtime.Testing;

namespace Realtime.Pusher.Tests;

/// <summary>One real soketi for the integration tests of this library.</summary>
public sealed class SoketiFixture : IAsyncLifetime
{
    public SoketiServer Soketi { get; private set; } = null!;

    public PusherOptions Options => Soketi.PusherOptions() with { RetryBaseDelay = TimeSpan.FromMilliseconds(50) };

    public async Task InitializeAsync() => Soketi = await SoketiServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Soketi is not null) await Soketi.DisposeAsync();
    }
}

/// <summary>
/// Realtime.Pusher against a real Pusher-protocol server (soketi) with the real pusher-js as the
/// subscriber: what we sign, soketi accepts; what we trigger, pusher-js receives.
/// </summary>
public class SoketiIntegrationTests(SoketiFixture fixture) : IClassFixture<SoketiFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly PusherRestClient _client = new(fixture.Options);

    private string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    private Task<PusherJsClient> ConnectAsync(LocalAuthEndpoint? auth = null) =>
        PusherJsClient.ConnectAsync(new PusherJsOptions
        {
            Key = fixture.Soketi.Settings.Key,
            Host = fixture.Soketi.Host,
            Port = fixture.Soketi.Port,
            AuthEndpoint = auth?.Url,
            UserAuthEndpoint = auth?.UserAuthUrl,
        });

    [Fact]
    public async Task A_triggered_event_reaches_a_pusher_js_subscriber()
    {
        var channel = Unique("updates-");
        await using var js = await ConnectAsync();
        Assert.Equal("subscribed", (string?)(await js.SubscribeAsync(channel))["type"]);

        await _client.TriggerAsync(channel, "score-changed", new { team = "Blue ✓", score = 7, tags = new[] { "a", "b" } });

        var received = await js.NextEventAsync(channel, "score-changed", Wait);
        Assert.True(JToken.DeepEquals(JObject.Parse("{\"team\":\"Blue ✓\",\"score\":7,\"tags\":[\"a\",\"b\"]}"), received["data"]),
            received.ToString());
    }

    [Fact]
    public async Task One_trigger_to_several_channels_reaches_each()
    {
        var channels = Enumerable.Range(0, 3).Select(_ => Unique("multi-")).ToList();
        await using var js = await ConnectAsync();
        foreach (var c in channels) await js.SubscribeAsync(c);

        await _client.TriggerAsync(channels, "hello", "plain string data");

        foreach (var c in channels)
            Assert.Equal("plain string data", (string?)(await js.NextEventAsync(c, "hello", Wait))["data"]);
    }

    [Fact]
    public async Task A_batch_of_ten_arrives_in_order()
    {
        var channel = Unique("batch-");
        await using var js = await ConnectAsync();
        await js.SubscribeAsync(channel);

        await _client.TriggerBatchAsync(Enumerable.Range(1, 10).Select(i => new BatchEvent(channel, "step", new { i })).ToList());

        await js.WaitForAsync(_ => js.Events.Count(e => (string?)e["channel"] == channel) >= 10, Wait, "ten batch events");
        var order = js.Events.Where(e => (string?)e["channel"] == channel).Select(e => (int)e["data"]!["i"]!).ToList();
        Assert.Equal(Enumerable.Range(1, 10), order);
    }

    [Fact]
    public async Task The_socket_given_as_socket_id_does_not_receive_its_own_event()
    {
        var channel = Unique("echo-");
        await using var sender = await ConnectAsync();
        await using var other = await ConnectAsync();
        await sender.SubscribeAsync(channel);
        await other.SubscribeAsync(channel);

        await _client.TriggerAsync(channel, "excluded", "x", new TriggerOptions { SocketId = sender.SocketId });
        await _client.TriggerAsync(channel, "marker", "m");

        await other.NextEventAsync(channel, "excluded", Wait);
        await sender.NextEventAsync(channel, "marker", Wait); // later event arrived, so the excluded one never will
        Assert.DoesNotContain(sender.Events, e => (string?)e["event"] == "excluded");
    }

    [Fact]
    public async Task Pusher_js_subscribes_to_private_and_presence_channels_with_our_signatures()
    {
        var authorizer = new PusherAuthorizer(fixture.Options);
        var user = new PusherUser { Id = "user-7", UserInfo = new { name = "Zoë" } };
        await using var auth = new LocalAuthEndpoint(
            (socketId, channel) => channel.Contains("forbidden") ? null
                : channel.StartsWith("presence-") ? authorizer.AuthorizePresenceChannel(socketId, channel, user.Id, user.UserInfo).ToJson()
                : authorizer.AuthorizePrivateChannel(socketId, channel).ToJson(),
            socketId => authorizer.AuthenticateUser(socketId, user).ToJson());
        await using var js = await ConnectAsync(auth);
        var privateChannel = Unique("private-room-");
        var presenceChannel = Unique("presence-room-");

        Assert.Equal("subscribed", (string?)(await js.SubscribeAsync(privateChannel))["type"]);
        var presence = await js.SubscribeAsync(presenceChannel);
        Assert.Equal("subscribed", (string?)presence["type"]);
        var member = Assert.Single((JArray)presence["members"]!);
        Assert.Equal("user-7", (string?)member["id"]);
        Assert.Equal("Zoë", (string?)member["info"]!["name"]);

        var refused = await js.SubscribeAsync(Unique("private-forbidden-"));
        Assert.Equal("subscription_error", (string?)refused["type"]);

        // The REST side sees the same state.
        await _client.TriggerAsync(privateChannel, "secret", new { ok = true });
        await js.NextEventAsync(privateChannel, "secret", Wait);
        var users = await _client.GetPresenceUsersAsync(presenceChannel);
        Assert.Equal([new PresenceUser("user-7")], users);
        var info = await _client.GetChannelAsync(presenceChannel, [PusherInfo.UserCount, PusherInfo.SubscriptionCount]);
        Assert.True(info.Occupied);
        Assert.Equal(1, info.UserCount);
        Assert.Equal(1, info.SubscriptionCount);
        var list = await _client.GetChannelsAsync(filterByPrefix: "presence-room-");
        Assert.Contains(presenceChannel, list.Keys);
    }

    [Fact]
    public async Task Terminate_user_connections_is_accepted_by_a_real_server()
    {
        // PusherJsClient (tests/Realtime.Testing) has no sign-in command yet, so this checks that soketi
        // accepts our signed POST with its {} body; it does not watch a signed-in connection drop.
        await _client.TerminateUserConnectionsAsync(Unique("user-"));
    }

    [Fact]
    public async Task A_wrong_secret_is_reported_as_an_authentication_failure_by_a_real_server()
    {
        using var wrong = new PusherRestClient(fixture.Options with { Secret = "not-the-secret" });

        var e = await Assert.ThrowsAsync<PusherAuthenticationException>(() => wrong.TriggerAsync("ch", "ev", "data"));

        Assert.StartsWith("Pusher rejected the request's authentication (401): check PUSHER_KEY/PUSHER_SECRET/PUSHER_APP_ID", e.Message);
        Assert.Equal(1, e.Attempts);
    }

    [Fact]
    public async Task Limits_fail_before_reaching_the_real_server()
    {
        // Would soketi accept these? Some, yes (it allows 200-char channel names): we hold Pusher's rules anyway.
        await Assert.ThrowsAsync<PusherValidationException>(() => _client.TriggerAsync(new string('c', 180), "ev", "d"));
        await Assert.ThrowsAsync<PusherValidationException>(() =>
            _client.TriggerBatchAsync(Enumerable.Range(0, 11).Select(i => new BatchEvent("c", "e", "d")).ToList()));
    }
}
