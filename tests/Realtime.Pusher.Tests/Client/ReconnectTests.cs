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
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_soketi_comes_back_the_client_reconnects_within_2s_resubscribes_everything_reports_the_gap_and_gets_new_events(bool killed)
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
        await Task.Delay(TimeSpan.FromSeconds(3)); // long enough for the back-off to reach its cap

        await soketi.StartAgainAsync();
        var back = Stopwatch.StartNew();
        await Wait.UntilAsync(() => Task.FromResult(connection.State == PusherConnectionState.Connected), Timeout, "the client to reconnect");
        var reconnected = back.Elapsed;
        await Wait.UntilAsync(() => Task.FromResult(subs.All(s => s.State == SubscriptionState.Subscribed) && !gaps.IsEmpty), Timeout, "resubscription");
        var resubscribed = back.Elapsed;
        output.WriteLine($"{(killed ? "SIGKILL" : "SIGTERM")}: connected {reconnected.TotalMilliseconds:0} ms and resubscribed {resubscribed.TotalMilliseconds:0} ms after soketi was back; {connection.ConnectAttempts} attempts");

        Assert.True(reconnected < TimeSpan.FromSeconds(2), $"reconnected {reconnected.TotalMilliseconds:0} ms after soketi came back");
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

        soketi.Kill();
        await Task.Delay(TimeSpan.FromSeconds(4));
        var attempts = connection.ConnectAttempts - 1;
        output.WriteLine($"{attempts} reconnect attempts in 4 s");
        // 250 ms doubling to a 2 s cap, jittered to [d/2, d]: between 3 and 13 attempts in 4 s — not a hot loop.
        Assert.InRange(attempts, 2, 16);
        Assert.Equal(PusherConnectionState.Unavailable, connection.State);
        var lost = Assert.Single(errors);
        Assert.Equal(PusherErrorKind.ConnectionLost, lost.Kind);
        Assert.Equal(PusherErrorKind.ConnectionLost, connection.LastError!.Kind);
    }
}
