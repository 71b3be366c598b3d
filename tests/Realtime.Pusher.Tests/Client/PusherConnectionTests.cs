using Newtonsoft.Json.Linq;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Client;
using Realtime.Testing;

namespace Realtime.Pusher.Tests.Client;

/// <summary>PusherConnection against a real soketi, with the official SDK's behaviour (REST) and pusher-js as the other side.</summary>
public sealed class PusherConnectionTests(ClientSoketiFixture env) : IClassFixture<ClientSoketiFixture>
{
    private static readonly TimeSpan Timeout = Patience.Step;

    [Fact]
    public async Task Connects_with_protocol_7_and_gets_a_socket_id()
    {
        await using var connection = new PusherConnection(env.Options);
        await connection.ConnectAsync().WaitAsync(Timeout);
        Assert.Equal(PusherConnectionState.Connected, connection.State);
        Assert.Matches(@"^\d+\.\d+$", connection.SocketId);
        Assert.Contains("protocol=7", connection.Uri.Query);
        Assert.Contains("client=realtime-dotnet", connection.Uri.Query);
        Assert.Equal("/app/" + env.Options.Key, connection.Uri.AbsolutePath);
    }

    [Fact]
    public async Task Server_triggered_events_arrive_on_public_private_and_presence_channels_with_parsed_data()
    {
        await using var connection = new PusherConnection(env.Options);
        var pub = await connection.SubscribeAsync(ClientTestKit.Unique("public")).WaitAsync(Timeout);
        var priv = await connection.SubscribeAsync(ClientTestKit.Unique("private-test")).WaitAsync(Timeout);
        var pres = await connection.SubscribeAsync(ClientTestKit.Unique("presence-test"), new PresenceMember("relay-1", new { name = "Relay" })).WaitAsync(Timeout);

        foreach (var sub in new[] { pub, priv, pres })
        {
            await env.Rest.TriggerAsync(sub.Channel, "server-event", new { hello = sub.Channel, n = 42 });
            var e = await sub.NextEventAsync("server-event", Timeout);
            Assert.Equal(sub.Channel, e.Channel);
            Assert.Equal(sub.Channel, (string?)e.Data!["hello"]);
            Assert.Equal(42, (int)e.Data!["n"]!);
            Assert.Equal($"{{\"hello\":\"{sub.Channel}\",\"n\":42}}", e.RawData);
            Assert.Null(e.UserId);
        }

        // A string payload that is not JSON stays a string (pusher-js does the same).
        await env.Rest.TriggerAsync(pub.Channel, "plain", "just text");
        var plain = await pub.NextEventAsync("plain", Timeout);
        Assert.Equal(JTokenType.String, plain.Data!.Type);
        Assert.Equal("just text", (string?)plain.Data);
    }

    [Fact]
    public async Task Our_client_events_reach_pusherjs_and_its_client_events_reach_us_with_the_user_id()
    {
        await using var auth = new LocalAuthEndpoint((socketId, channel) =>
            channel.StartsWith("presence-")
                ? env.Authorizer.AuthorizePresenceChannel(socketId, channel, "dash-1", new { name = "Dashboard" }).ToJson()
                : env.Authorizer.AuthorizeChannel(socketId, channel).ToJson());
        await using var connection = new PusherConnection(env.Options);
        var privateChannel = ClientTestKit.Unique("private-chat");
        var presenceChannel = ClientTestKit.Unique("presence-chat");
        var priv = await connection.SubscribeAsync(privateChannel).WaitAsync(Timeout);
        var pres = await connection.SubscribeAsync(presenceChannel, new PresenceMember("relay-7", new { name = "Relay" })).WaitAsync(Timeout);

        await using var js = await PusherJsClient.ConnectAsync(PusherJsOptions.For(env.Soketi, auth.Url));
        Assert.Equal("subscribed", (string?)(await js.SubscribeAsync(privateChannel))["type"]);
        Assert.Equal("subscribed", (string?)(await js.SubscribeAsync(presenceChannel))["type"]);

        // Ours → pusher-js.
        await js.BindAsync(presenceChannel, "client-from-dotnet");
        await connection.TriggerAsync(privateChannel, "client-from-dotnet", new { text = "hi js" });
        await pres.TriggerAsync("client-from-dotnet", new { text = "hi presence" });
        var seen = await js.NextEventAsync(privateChannel, "client-from-dotnet");
        Assert.Equal("hi js", (string?)seen["data"]!["text"]);
        var seenPresence = await js.NextBoundEventAsync(presenceChannel, "client-from-dotnet");
        Assert.Equal("hi presence", (string?)seenPresence["data"]!["text"]);
        Assert.Equal("relay-7", (string?)seenPresence["userId"]);

        // pusher-js → ours.
        js.TriggerClientEvent(privateChannel, "client-from-js", new { text = "hi dotnet" });
        js.TriggerClientEvent(presenceChannel, "client-from-js", new { text = "hi from dash" });
        var got = await priv.NextEventAsync("client-from-js", Timeout);
        Assert.Equal("hi dotnet", (string?)got.Data!["text"]);
        Assert.Null(got.UserId);
        var gotPresence = await pres.NextEventAsync("client-from-js", Timeout);
        Assert.Equal("hi from dash", (string?)gotPresence.Data!["text"]);
        Assert.Equal("dash-1", gotPresence.UserId);
    }

    [Fact]
    public async Task Our_presence_membership_shows_in_pusherjs_members_with_user_info_and_goes_away_on_unsubscribe()
    {
        await using var auth = new LocalAuthEndpoint((socketId, channel) =>
            env.Authorizer.AuthorizePresenceChannel(socketId, channel, "dash-2", new { name = "Dashboard" }).ToJson());
        var channel = ClientTestKit.Unique("presence-game");
        await using var js = await PusherJsClient.ConnectAsync(PusherJsOptions.For(env.Soketi, auth.Url));
        await js.SubscribeAsync(channel);

        await using var connection = new PusherConnection(env.Options);
        var sub = await connection.SubscribeAsync(channel, new PresenceMember("player-9", new { name = "Nine", displayName = "Player Nine", jobId = "job-1" })).WaitAsync(Timeout);

        var added = await js.WaitForAsync(m => (string?)m["type"] == "member_added" && (string?)m["channel"] == channel && (string?)m["id"] == "player-9",
            Timeout, "member_added player-9");
        Assert.Equal("Player Nine", (string?)added["info"]!["displayName"]);
        Assert.Equal("job-1", (string?)added["info"]!["jobId"]);

        // Our side sees both members, with pusher-js's user info.
        Assert.Equal(new[] { "dash-2", "player-9" }, sub.Members.Keys.Order());
        Assert.Equal("Dashboard", (string?)sub.Members["dash-2"]!["name"]);

        // pusher-js leaves and joins again: its re-subscription lists both members, and our side
        // sees it leave and come back (soketi tells us after pusher-js's own success, so wait for it).
        js.Unsubscribe(channel);
        var resubscribed = await js.SubscribeAsync(channel);
        Assert.Contains((JArray)resubscribed["members"]!, m => (string?)m["id"] == "player-9" && (string?)m["info"]!["name"] == "Nine");
        var left = await sub.NextAsync(e => e.Kind != PusherEventKind.Event, Timeout, "dash-2 leaving");
        Assert.Equal((PusherEventKind.MemberRemoved, "dash-2"), (left.Kind, left.UserId));
        var back = await sub.NextAsync(e => e.Kind != PusherEventKind.Event, Timeout, "dash-2 joining again");
        Assert.Equal((PusherEventKind.MemberAdded, "dash-2"), (back.Kind, back.UserId));

        var from = js.MessageCount;
        await connection.UnsubscribeAsync(channel);
        await js.WaitForAsync(m => (string?)m["type"] == "member_removed" && (string?)m["channel"] == channel && (string?)m["id"] == "player-9",
            Timeout, "member_removed player-9", from);
        Assert.Equal(SubscriptionState.Unsubscribed, sub.State);
        // Nothing else was buffered: the stream simply ends.
        var rest = new List<PusherEvent>();
        await foreach (var e in sub.Events.ReadAllAsync().WithCancellation(new CancellationTokenSource(Timeout).Token)) rest.Add(e);
        Assert.Empty(rest);
        Assert.True(sub.Events.Completion.IsCompleted);
    }

    [Fact]
    public async Task Members_joining_and_leaving_arrive_in_the_stream()
    {
        await using var auth = new LocalAuthEndpoint((socketId, channel) =>
            env.Authorizer.AuthorizePresenceChannel(socketId, channel, "dash-3", new { name = "Three" }).ToJson());
        var channel = ClientTestKit.Unique("presence-room");
        await using var connection = new PusherConnection(env.Options);
        var sub = await connection.SubscribeAsync(channel, new PresenceMember("relay")).WaitAsync(Timeout);
        Assert.Equal(["relay"], sub.Members.Keys);

        await using var js = await PusherJsClient.ConnectAsync(PusherJsOptions.For(env.Soketi, auth.Url));
        await js.SubscribeAsync(channel);
        var added = await sub.NextAsync(e => e.Kind == PusherEventKind.MemberAdded, Timeout, "member added");
        Assert.Equal("dash-3", added.UserId);
        Assert.Equal("Three", (string?)added.Data!["name"]);
        Assert.True(sub.Members.ContainsKey("dash-3"));

        js.Unsubscribe(channel);
        var removed = await sub.NextAsync(e => e.Kind == PusherEventKind.MemberRemoved, Timeout, "member removed");
        Assert.Equal("dash-3", removed.UserId);
        Assert.False(sub.Members.ContainsKey("dash-3"));
    }

    [Fact]
    public async Task A_supplied_authorizer_is_used_and_a_refused_subscription_is_reported()
    {
        var calls = 0;
        var options = new PusherClientOptions
        {
            Authorizer = (socketId, channel, _) =>
            {
                Interlocked.Increment(ref calls);
                return Task.FromResult(channel.Contains("bad")
                    ? new ChannelAuthorization { Auth = env.Options.Key + ":" + new string('0', 64) }
                    : env.Authorizer.AuthorizeChannel(socketId, channel));
            },
        };
        await using var connection = new PusherConnection(env.Options, options);
        var errors = new List<PusherError>();
        connection.ErrorReported += (_, e) => { lock (errors) errors.Add(e); };

        var good = await connection.SubscribeAsync(ClientTestKit.Unique("private-good")).WaitAsync(Timeout);
        Assert.Equal(SubscriptionState.Subscribed, good.State);

        var badChannel = ClientTestKit.Unique("private-bad");
        var ex = await Assert.ThrowsAsync<PusherSubscriptionException>(() => connection.SubscribeAsync(badChannel).WaitAsync(Timeout));
        Assert.Equal(badChannel, ex.Error.Channel);
        Assert.Equal(401, ex.Error.Code);
        Assert.Equal(SubscriptionState.Failed, connection.GetSubscription(badChannel)!.State);
        Assert.Equal(2, calls);
        await Wait.UntilAsync(() => Task.FromResult(errors.Any(e => e.Channel == badChannel)), Timeout, "the subscription error to be reported");
        Assert.Equal(PusherConnectionState.Connected, connection.State);
    }

    [Fact]
    public async Task Client_events_are_refused_on_public_or_unknown_channels_and_need_the_client_prefix()
    {
        await using var connection = new PusherConnection(env.Options);
        var pub = await connection.SubscribeAsync(ClientTestKit.Unique("public")).WaitAsync(Timeout);
        var priv = await connection.SubscribeAsync(ClientTestKit.Unique("private-x")).WaitAsync(Timeout);
        await Assert.ThrowsAsync<PusherClientEventException>(() => connection.TriggerAsync(pub.Channel, "client-x", new { }));
        await Assert.ThrowsAsync<PusherClientEventException>(() => connection.TriggerAsync("private-not-subscribed", "client-x", new { }));
        await Assert.ThrowsAsync<ArgumentException>(() => connection.TriggerAsync(priv.Channel, "no-prefix", new { }));
        await Assert.ThrowsAsync<Realtime.Pusher.Validation.PusherValidationException>(() =>
            connection.TriggerAsync(priv.Channel, "client-big", new string('x', 11 * 1024)));
    }

    [Fact]
    public async Task Client_events_beyond_ten_per_second_are_paced_not_dropped()
    {
        await using var auth = new LocalAuthEndpoint((socketId, channel) => env.Authorizer.AuthorizeChannel(socketId, channel).ToJson());
        var channel = ClientTestKit.Unique("private-burst");
        await using var connection = new PusherConnection(env.Options);
        await connection.SubscribeAsync(channel).WaitAsync(Timeout);
        await using var js = await PusherJsClient.ConnectAsync(PusherJsOptions.For(env.Soketi, auth.Url));
        await js.SubscribeAsync(channel);

        var started = DateTime.UtcNow;
        await Task.WhenAll(Enumerable.Range(0, 25).Select(i => connection.TriggerAsync(channel, "client-burst", new { i })));
        var elapsed = DateTime.UtcNow - started;

        await Wait.UntilAsync(() => Task.FromResult(js.Events.Count(e => (string?)e["event"] == "client-burst") == 25), Timeout, "all 25 client events at pusher-js");
        Assert.Equal(Enumerable.Range(0, 25), js.Events.Where(e => (string?)e["event"] == "client-burst").Select(e => (int)e["data"]!["i"]!).Order());
        // 25 events at 10/s need at least two further one-second windows.
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.9), $"25 client events went out in {elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Pings_after_the_activity_timeout_keep_an_idle_connection_up()
    {
        var options = new PusherClientOptions { ActivityTimeout = TimeSpan.FromMilliseconds(300), PongTimeout = TimeSpan.FromSeconds(2) };
        await using var connection = new PusherConnection(env.Options, options);
        var sub = await connection.SubscribeAsync(ClientTestKit.Unique("idle")).WaitAsync(Timeout);
        await Task.Delay(TimeSpan.FromSeconds(5)); // pings every 0.3 s idle; a missing pong would reconnect within 2 s
        Assert.Equal(PusherConnectionState.Connected, connection.State);
        Assert.Equal(1, connection.ConnectAttempts);
        Assert.Equal(0, connection.Reconnects);
        await env.Rest.TriggerAsync(sub.Channel, "still-here", new { });
        await sub.NextEventAsync("still-here", Timeout);
    }

    [Fact]
    public async Task Unsubscribing_stops_events_and_ends_the_stream()
    {
        await using var connection = new PusherConnection(env.Options);
        var sub = await connection.SubscribeAsync(ClientTestKit.Unique("leave")).WaitAsync(Timeout);
        await connection.UnsubscribeAsync(sub.Channel);
        Assert.Null(connection.GetSubscription(sub.Channel));
        await sub.Events.Completion.WaitAsync(Timeout);
        Assert.False(await sub.Events.WaitToReadAsync());
        var info = await env.Rest.GetChannelAsync(sub.Channel, ["subscription_count"]);
        Assert.False(info.Occupied);
    }
}
