using System.Collections.Concurrent;
using System.Diagnostics;
using Realtime.Pusher.Client;
using Realtime.Pusher.Rest;
using Realtime.Testing;
using Xunit.Abstractions;

namespace Realtime.Pusher.Tests.Client;

/// <summary>soketi going away and coming back, and soketi refusing the app key. Each test has its own soketi.</summary>
public sealed class ReconnectTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = Patience.Step;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_soketi_comes_back_the_client_reconnects_resubscribes_everything_reports_the_gap_and_gets_new_events(bool killed)
    {
        await using var soketi = await SoketiServer.StartAsync(ClientTestKit.Settings);
        var options = ClientTestKit.OptionsFor(soketi);
        using var rest = new PusherRestClient(options);
        await using var connection = new PusherConnection(options);
        var gaps = new ConcurrentQueue<IReadOnlyList<string>>();
        connection.ChannelsResumedAfterGap += (_, channels) => gaps.Enqueue(channels);

        var subs = new[]
        {
            await connection.SubscribeAsync(ClientTestKit.Unique("public")).WaitAsync(Timeout),
            await connection.SubscribeAsync(ClientTestKit.Unique("private-r")).WaitAsync(Timeout),
            await connection.SubscribeAsync(ClientTestKit.Unique("presence-r"), new PresenceMember("relay")).WaitAsync(Timeout),
        };
        var firstSocket = connection.SocketId;

        if (killed) soketi.Kill(); else await soketi.StopAsync();
        await Wait.UntilAsync(() => Task.FromResult(connection.State != PusherConnectionState.Connected), Timeout, "the client to notice");
        Assert.All(subs, s => Assert.Equal(SubscriptionState.Pending, s.State));
        // Let the back-off grow to its cap (2 s) before soketi returns: 4 failed retries get there.
        var attemptsWhenLost = connection.ConnectAttempts;
        await Wait.UntilAsync(() => Task.FromResult(connection.ConnectAttempts >= attemptsWhenLost + 4), Timeout, "four failed retries");

        await soketi.StartAgainAsync();
        var back = Stopwatch.StartNew();
        await Wait.UntilAsync(() => Task.FromResult(connection.State == PusherConnectionState.Connected), Timeout, "the client to reconnect");
        var reconnected = back.Elapsed;
        await Wait.UntilAsync(() => Task.FromResult(subs.All(s => s.State == SubscriptionState.Subscribed) && !gaps.IsEmpty), Timeout, "resubscription");
        var resubscribed = back.Elapsed;
        output.WriteLine($"{(killed ? "SIGKILL" : "SIGTERM")}: connected {reconnected.TotalMilliseconds:0} ms and resubscribed {resubscribed.TotalMilliseconds:0} ms after soketi was back; {connection.ConnectAttempts} attempts");

        Assert.NotEqual(firstSocket, connection.SocketId);
        Assert.Equal(1, connection.Reconnects);
        Assert.Equal(subs.Select(s => s.Channel).Order(), Assert.Single(gaps).Order());

        foreach (var sub in subs)
        {
            var gap = await sub.NextAsync(_ => true, Timeout, "the gap marker");
            Assert.Equal(PusherEventKind.Gap, gap.Kind);
            Assert.Equal(GapReason.Reconnected, gap.GapReason);
            await rest.TriggerAsync(sub.Channel, "after-restart", new { sub.Channel });
            var e = await sub.NextEventAsync("after-restart", Timeout);
            Assert.Equal(sub.Channel, (string?)e.Data!["Channel"]);
        }
    }

    [Fact]
    public async Task A_wrong_app_key_is_reported_once_and_not_retried()
    {
        await using var soketi = await SoketiServer.StartAsync(ClientTestKit.Settings);
        await using var connection = new PusherConnection(ClientTestKit.OptionsFor(soketi, key: "not-the-key"));
        var errors = new ConcurrentQueue<PusherError>();
        connection.ErrorReported += (_, e) => errors.Enqueue(e);

        var ex = await Assert.ThrowsAsync<PusherConnectionException>(() => connection.ConnectAsync().WaitAsync(Timeout));
        Assert.Equal(PusherCloseCodes.AppDoesNotExist, ex.Error.Code);
        Assert.Contains("not-the-key", ex.Error.Message);

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(PusherConnectionState.Failed, connection.State);
        Assert.Equal(1, connection.ConnectAttempts);
        var error = Assert.Single(errors);
        Assert.Equal(PusherErrorKind.ConnectionRefused, error.Kind);
        Assert.Equal(4001, error.Code);

        // Channels asked for afterwards fail at once rather than waiting forever.
        var sub = connection.Subscribe("public-after-refusal");
        await Assert.ThrowsAsync<PusherConnectionException>(() => sub.WaitUntilSubscribedAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task While_soketi_is_down_the_client_keeps_trying_with_backoff_and_reports_the_outage_once()
    {
        await using var soketi = await SoketiServer.StartAsync(ClientTestKit.Settings);
        await using var connection = new PusherConnection(ClientTestKit.OptionsFor(soketi));
        await connection.ConnectAsync().WaitAsync(Timeout);
        var errors = new ConcurrentQueue<PusherError>();
        connection.ErrorReported += (_, e) => errors.Enqueue(e);

        var lostAt = System.Diagnostics.Stopwatch.StartNew();
        soketi.Kill();
        await Wait.UntilAsync(() => Task.FromResult(connection.ConnectAttempts >= 4), Timeout, "three reconnect attempts");
        var elapsed = lostAt.Elapsed;
        output.WriteLine($"3 reconnect attempts took {elapsed.TotalMilliseconds:0} ms");
        // Not a hot loop: retries 1-3 wait at least 125 + 250 + 500 ms (250 ms doubling, jittered to [d/2, d]).
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(875), $"3 retries within {elapsed.TotalMilliseconds:0} ms");
        // Between attempts the client says Unavailable; at the instant of an attempt it says Connecting (a clean-clone
        // run read the state just as the next attempt began): wait for the state it rests in, not a snapshot.
        await Wait.UntilAsync(() => Task.FromResult(connection.State == PusherConnectionState.Unavailable), Timeout, "the client to say Unavailable");
        var lost = Assert.Single(errors);
        Assert.Equal(PusherErrorKind.ConnectionLost, lost.Kind);
        Assert.Equal(PusherErrorKind.ConnectionLost, connection.LastError!.Kind);
    }
}
