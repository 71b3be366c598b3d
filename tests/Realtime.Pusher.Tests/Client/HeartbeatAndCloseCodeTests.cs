using System.Collections.Concurrent;
using Realtime.Pusher.Client;
using Realtime.Testing;

namespace Realtime.Pusher.Tests.Client;

/// <summary>Heartbeat and close-code behaviour against a scripted server (soketi cannot be told to ignore pings or close with 4100).</summary>
public sealed class HeartbeatAndCloseCodeTests
{
    private static readonly TimeSpan Timeout = Patience.Step;

    [Fact]
    public async Task The_servers_activity_timeout_wins_when_shorter_and_a_missing_pong_drops_the_connection()
    {
        // The server says activity_timeout 1 s and then never answers anything.
        await using var server = new FakePusherServer(async s => await s.EstablishAsync(activityTimeoutSeconds: 1));
        var options = new PusherClientOptions { PongTimeout = TimeSpan.FromMilliseconds(500), NetworkBackoff = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100)) };
        await using var connection = new PusherConnection(server.Options, options);
        var errors = new ConcurrentQueue<PusherError>();
        connection.ErrorReported += (_, e) => errors.Enqueue(e);
        await connection.ConnectAsync().WaitAsync(Timeout);

        await Wait.UntilAsync(() => Task.FromResult(server.Connections >= 2), Timeout, "a second connection after the missing pong");
        var first = server.Sockets.First();
        Assert.Contains("{\"event\":\"pusher:ping\",\"data\":{}}", first.Received);
        await first.Closed.Task.WaitAsync(Timeout);
        await Wait.UntilAsync(() => Task.FromResult(!errors.IsEmpty), Timeout, "the lost connection to be reported");
        Assert.Contains("pusher:ping", errors.First().Message);
    }

    [Fact]
    public async Task A_server_ping_is_answered_with_a_pong()
    {
        await using var server = new FakePusherServer(async s =>
        {
            await s.EstablishAsync();
            await s.SendAsync("{\"event\":\"pusher:ping\",\"data\":{}}");
        });
        await using var connection = new PusherConnection(server.Options);
        await connection.ConnectAsync().WaitAsync(Timeout);
        await Wait.UntilAsync(() => Task.FromResult(server.Sockets.Single().Received.Contains("{\"event\":\"pusher:pong\",\"data\":{}}")), Timeout, "pusher:pong");
    }

    [Fact]
    public async Task Close_code_4200_reconnects_at_once()
    {
        await using var server = new FakePusherServer(async s =>
        {
            await s.EstablishAsync();
            if (s.Number == 1) await s.CloseAsync(4200, "reconnect please");
        });
        var options = new PusherClientOptions { NetworkBackoff = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20)), OverCapacityBackoff = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20)) };
        await using var connection = new PusherConnection(server.Options, options);
        await connection.ConnectAsync().WaitAsync(Timeout);
        // With every back-off at 20 s, only an immediate reconnect gets here within the timeout.
        await Wait.UntilAsync(() => Task.FromResult(server.Connections == 2 && connection.State == PusherConnectionState.Connected), Timeout, "an immediate reconnect");
        Assert.Equal(1, connection.Reconnects);
    }

    [Fact]
    public async Task Close_code_4100_backs_off_with_the_over_capacity_policy()
    {
        var closedAt = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        var retriedAt = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new FakePusherServer(async s =>
        {
            if (s.Number == 2) retriedAt.TrySetResult(DateTime.UtcNow);
            await s.EstablishAsync();
            if (s.Number != 1) return;
            await s.CloseAsync(4100, "over capacity");
            closedAt.TrySetResult(DateTime.UtcNow);
        });
        var options = new PusherClientOptions
        {
            NetworkBackoff = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20)),
            OverCapacityBackoff = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)),
        };
        await using var connection = new PusherConnection(server.Options, options);
        await connection.ConnectAsync().WaitAsync(Timeout);
        await Wait.UntilAsync(() => Task.FromResult(connection.State == PusherConnectionState.Unavailable), Timeout, "the 4100 close");
        // The retry comes 1.5–3 s after the close (the over-capacity policy), not the network policy's 10–20 s.
        var waited = await retriedAt.Task.WaitAsync(Timeout) - await closedAt.Task;
        Assert.True(waited >= TimeSpan.FromSeconds(1.4), $"retried {waited.TotalMilliseconds:0} ms after the 4100 close");
    }

    [Fact]
    public async Task A_pusher_error_4009_followed_by_a_close_without_a_pusher_code_still_stops_the_connection()
    {
        await using var server = new FakePusherServer(async s =>
        {
            await s.SendAsync("{\"event\":\"pusher:error\",\"data\":{\"code\":4009,\"message\":\"Connection not authorized.\"}}");
            await s.CloseAsync(1000, ""); // no Pusher close code: the code comes from pusher:error
        });
        await using var connection = new PusherConnection(server.Options, new PusherClientOptions { NetworkBackoff = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50)) });
        var ex = await Assert.ThrowsAsync<PusherConnectionException>(() => connection.ConnectAsync().WaitAsync(Timeout));
        Assert.Equal(4009, ex.Error.Code);
        Assert.Contains("Connection not authorized.", ex.Error.Message);
        await Task.Delay(500);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task No_connection_established_within_the_connect_timeout_means_try_again()
    {
        await using var server = new FakePusherServer(s => s.Number == 1 ? Task.CompletedTask : s.EstablishAsync());
        var options = new PusherClientOptions { ConnectTimeout = TimeSpan.FromSeconds(2), NetworkBackoff = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50)) };
        await using var connection = new PusherConnection(server.Options, options);
        await connection.ConnectAsync().WaitAsync(Timeout);
        Assert.Equal(2, server.Connections);
        Assert.Equal(0, connection.Reconnects); // the first never counted as connected
    }
}
