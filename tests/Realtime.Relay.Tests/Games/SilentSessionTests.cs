using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Relay.Clients;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Games;

/// <summary>
/// The relay ends a game-server session that stops calling. The timeout is shortened to 2 s
/// (Relay:ServerSessionTimeoutSeconds); the clock is the test's, the sweeper runs for real.
/// </summary>
public sealed class SilentSessionTests : IDisposable
{
    private readonly AccountsRelay _relay = new(new Dictionary<string, string?> { ["Relay:ServerSessionTimeoutSeconds"] = "2" });

    private async Task<string> RegisterAsync(string key, string jobId)
    {
        var (status, body, _) = await _relay.WithToken(key).PostJsonAsync("/api/v1/games/g1/servers", new { jobId, placeId = 1 });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return (string)body["accessToken"]!;
    }

    private bool Ended(string jobId) =>
        _relay.Inbox.Snapshot().Any(c => c is { Action: "close", Reason: "ended" } && c.Client.Id == jobId);

    [Fact]
    public async Task A_session_silent_for_the_timeout_is_ended_and_one_that_keeps_calling_is_not()
    {
        var (_, created, _) = await _relay.As("teacher-1", "educator").PostJsonAsync("/api/v1/games", new { gameId = "g1", name = "G" });
        var key = (string)created["serverKey"]!;
        var silentToken = await RegisterAsync(key, "silent");
        var busyToken = await RegisterAsync(key, "busy");
        var activity = _relay.Factory.Services.GetRequiredService<IClientActivity>();
        var busy = new RelayClient(ClientKind.GameServer, "busy", "g1");

        // 1.5 s of silence (timeout 2 s): nobody is ended, even after several real sweeps.
        _relay.Time.Advance(TimeSpan.FromSeconds(1.5));
        activity.Touch(busy);
        await Task.Delay(1500);
        Assert.False(Ended("silent"));
        Assert.False(Ended("busy"));

        // 2.5 s of silence for one, 1 s for the other.
        _relay.Time.Advance(TimeSpan.FromSeconds(1));
        await Wait.UntilAsync(() => Task.FromResult(Ended("silent")), Patience.Step, "the silent session to be ended");
        Assert.False(Ended("busy"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(silentToken).DeleteAsync("/api/v1/games/g1/servers/silent")).StatusCode);

        // The busy one's touch was written to the database, so it too ends once silent long enough.
        _relay.Time.Advance(TimeSpan.FromSeconds(0.5)); // 1.5 s since its touch
        await Task.Delay(1000);
        Assert.False(Ended("busy"));
        _relay.Time.Advance(TimeSpan.FromSeconds(1));
        await Wait.UntilAsync(() => Task.FromResult(Ended("busy")), Patience.Step, "the busy session to be ended once silent");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(busyToken).DeleteAsync("/api/v1/games/g1/servers/busy")).StatusCode);
    }

    public void Dispose() => _relay.Dispose();
}
