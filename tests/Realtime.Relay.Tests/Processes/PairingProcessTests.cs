using System.Net;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// The relay as a real process beside a real soketi: a plugin pairs over HTTP as the Luau
/// plugin does, the approving educator's dashboard (pusher-js) may then listen on the plugin's
/// channel and others may not, and no secret reaches the log.
/// </summary>
public sealed class PairingProcessTests(SoketiAndRelay env) : IClassFixture<SoketiAndRelay>
{
    private HttpClient Http(string? bearer = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(env.Relay.BaseUrl) };
        if (bearer is not null) http.WithBearer(bearer);
        return http;
    }

    [Fact]
    public async Task A_plugin_pairs_end_to_end_and_its_owners_dashboard_listens_on_its_channel()
    {
        // The plugin names its game; the approver must own it (or be an admin).
        var (gameCreated, _, _) = await Http(TestJwt.For("proc-teacher", "educator")).PostJsonAsync("/api/v1/games", new { gameId = "0", name = "Unpublished place" });
        Assert.Equal(HttpStatusCode.Created, gameCreated);
        var (created, started, _) = await Http().PostJsonAsync("/api/v1/pairings", new { placeId = 1818, gameId = "0", studioUserId = 42 });
        Assert.Equal(HttpStatusCode.Created, created);
        var deviceCode = (string)started["deviceCode"]!;
        var userCode = (string)started["userCode"]!;
        Assert.Equal(env.Relay.BaseUrl + "/console/pair", (string?)started["verificationUri"]);

        var (pending, body, _) = await Http().PostJsonAsync("/api/v1/pairings/token", new { deviceCode });
        Assert.Equal(HttpStatusCode.BadRequest, pending);
        Assert.Equal("authorization_pending", (string?)body["code"]);

        var (approved, approval, _) = await Http(TestJwt.For("proc-teacher", "educator")).PostJsonAsync("/api/v1/pairings/approve", new { userCode });
        Assert.Equal(HttpStatusCode.OK, approved);
        var pluginId = (string)approval["pluginId"]!;

        var (ok, grant, _) = await Http().PostJsonAsync("/api/v1/pairings/token", new { deviceCode });
        Assert.Equal(HttpStatusCode.OK, ok);
        var token = (string)grant["accessToken"]!;
        Assert.Equal("private-plugin-" + pluginId, (string?)grant["channel"]);
        var (again, refused, _) = await Http().PostJsonAsync("/api/v1/pairings/token", new { deviceCode });
        Assert.Equal(HttpStatusCode.BadRequest, again);
        Assert.Equal("expired_token", (string?)refused["code"]);

        var (listed, list) = await Http(TestJwt.For("proc-teacher", "educator")).GetJsonAsync("/api/v1/plugins");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Equal(pluginId, (string?)Assert.Single(list["plugins"]!)["pluginId"]);

        await using (var owner = await env.DashboardAsync("proc-teacher", "educator"))
            Assert.Equal("subscribed", (string?)(await owner.SubscribeAsync("private-plugin-" + pluginId))["type"]);
        await using (var stranger = await env.DashboardAsync("other-teacher", "educator"))
        {
            var result = await stranger.SubscribeAsync("private-plugin-" + pluginId);
            Assert.Equal("subscription_error", (string?)result["type"]);
            Assert.Equal(403, (int?)result["status"]);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await Http(token).DeleteAsync("/api/v1/plugins/" + pluginId)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http(token).DeleteAsync("/api/v1/plugins/" + pluginId)).StatusCode);
        await using (var owner = await env.DashboardAsync("proc-teacher", "educator"))
            Assert.Equal("subscription_error", (string?)(await owner.SubscribeAsync("private-plugin-" + pluginId))["type"]);

        Assert.Contains("/api/v1/pairings/token", env.Relay.RecentOutput); // requests are logged…
        Assert.DoesNotContain(deviceCode, env.Relay.RecentOutput); // …without secrets
        Assert.DoesNotContain(token, env.Relay.RecentOutput);
        Assert.DoesNotContain(userCode, env.Relay.RecentOutput);
        Assert.DoesNotContain(userCode.Replace("-", ""), env.Relay.RecentOutput);
    }

    [Fact]
    public async Task A_game_server_registers_and_ends_its_session_and_no_key_reaches_the_log()
    {
        var (created, game, _) = await Http(TestJwt.For("proc-teacher", "educator")).PostJsonAsync("/api/v1/games", new { gameId = "proc-game", name = "Process game" });
        Assert.Equal(HttpStatusCode.Created, created);
        var key = (string)game["serverKey"]!;

        var (registered, session, _) = await Http(key).PostJsonAsync("/api/v1/games/proc-game/servers", new { jobId = "job-abc", placeId = 7 });
        Assert.Equal(HttpStatusCode.Created, registered);
        var token = (string)session["accessToken"]!;
        Assert.Equal(HttpStatusCode.NoContent, (await Http(token).DeleteAsync("/api/v1/games/proc-game/servers/job-abc")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http(token).DeleteAsync("/api/v1/games/proc-game/servers/job-abc")).StatusCode);

        Assert.Contains("/api/v1/games/proc-game/servers", env.Relay.RecentOutput);
        Assert.DoesNotContain(key, env.Relay.RecentOutput);
        Assert.DoesNotContain(token, env.Relay.RecentOutput);
    }
}
