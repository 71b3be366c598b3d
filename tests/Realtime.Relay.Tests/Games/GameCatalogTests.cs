using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Games;

/// <summary><c>GET /api/v1/games</c>, <c>GET</c> and <c>DELETE /api/v1/games/{gameId}</c>.</summary>
public sealed class GameCatalogTests : IDisposable
{
    private readonly AccountsRelay _relay = new();

    private async Task<string> CreateGameAsync(string gameId, string owner)
    {
        var (status, body, _) = await _relay.As(owner, "educator").PostJsonAsync("/api/v1/games", new { gameId, name = "Game " + gameId });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return (string)body["serverKey"]!;
    }

    private async Task<string> RegisterAsync(string gameId, string key, string jobId)
    {
        var (status, body, _) = await _relay.WithToken(key).PostJsonAsync($"/api/v1/games/{gameId}/servers", new { jobId, placeId = 77 });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return (string)body["accessToken"]!;
    }

    [Fact]
    public async Task An_educator_lists_their_own_games_with_live_servers_and_an_admin_lists_all()
    {
        var key = await CreateGameAsync("mine", "teacher-1");
        await CreateGameAsync("theirs", "teacher-2");
        await RegisterAsync("mine", key, "job-a");

        var (status, list) = await _relay.As("teacher-1", "educator").GetJsonAsync("/api/v1/games");
        Assert.Equal(HttpStatusCode.OK, status);
        var game = (JObject)Assert.Single((JArray)list["games"]!);
        Assert.Equal("mine", (string?)game["gameId"]);
        Assert.Equal("presence-game-mine", (string?)game["presenceChannel"]);
        Assert.Null(game["serverKey"]);
        Assert.DoesNotContain(key, list.ToString());
        var session = (JObject)Assert.Single((JArray)game["sessions"]!);
        Assert.Equal("job-a", (string?)session["serverId"]);
        Assert.Equal(77, (long?)session["placeId"]);
        Assert.Equal(0, (long?)session["inboxDepth"]);

        var all = (await _relay.As("admin-1", "admin").GetJsonAsync("/api/v1/games")).Body;
        Assert.Equal(["mine", "theirs"], ((JArray)all["games"]!).Select(g => (string)g["gameId"]!).Order());
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.As("student-1", "student").GetJsonAsync("/api/v1/games")).Status);
    }

    [Fact]
    public async Task Another_educators_game_is_404_to_get_and_to_delete()
    {
        await CreateGameAsync("private-game", "teacher-1");
        var other = _relay.As("teacher-2", "educator");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetJsonAsync("/api/v1/games/private-game")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync("/api/v1/games/private-game")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _relay.As("teacher-1", "educator").GetJsonAsync("/api/v1/games/private-game")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetJsonAsync("/api/v1/games/no%20such")).Status);
    }

    [Fact]
    public async Task Deleting_a_game_ends_its_sessions_and_its_key_stops_working()
    {
        var key = await CreateGameAsync("doomed", "teacher-1");
        var token = await RegisterAsync("doomed", key, "job-1");
        await RegisterAsync("doomed", key, "job-2");

        var deleted = await _relay.As("teacher-1", "educator").DeleteAsync("/api/v1/games/doomed");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await _relay.As("teacher-1", "educator").GetJsonAsync("/api/v1/games/doomed")).Status);
        var (again, _, _) = await _relay.WithToken(key).PostJsonAsync("/api/v1/games/doomed/servers", new { jobId = "job-3", placeId = 1 });
        Assert.Equal(HttpStatusCode.NotFound, again);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(token).GetAsync("/api/v1/games/doomed/servers/job-1/events")).StatusCode);
        var closed = _relay.Inbox.Snapshot().Where(c => c.Action == "close").ToList();
        Assert.Equal(["job-1", "job-2"], closed.Select(c => c.Client.Id).Order());
        Assert.All(closed, c => Assert.Equal("game_deleted", c.Reason));
        // The id is free again.
        await CreateGameAsync("doomed", "teacher-2");
    }

    public void Dispose() => _relay.Dispose();
}
