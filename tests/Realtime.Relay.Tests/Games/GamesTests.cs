using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Games;

/// <summary>Games, server keys and game-server sessions (docs/api.md "Games and game-server sessions"), in-process.</summary>
public sealed class GamesTests : IDisposable
{
    private readonly AccountsRelay _relay = new();

    private async Task<string> CreateGameAsync(string gameId, string owner = "teacher-1", string role = "educator")
    {
        var (status, body, _) = await _relay.As(owner, role).PostJsonAsync("/api/v1/games", new { gameId, name = "Game " + gameId });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return (string)body["serverKey"]!;
    }

    private Task<(HttpStatusCode Status, JObject Body, HttpResponseMessage Response)> RegisterAsync(string gameId, string key, string jobId, long placeId = 99) =>
        _relay.WithToken(key).PostJsonAsync($"/api/v1/games/{gameId}/servers", new { jobId, placeId });

    private async Task<string> SessionTokenAsync(string gameId, string key, string jobId)
    {
        var (status, body, _) = await RegisterAsync(gameId, key, jobId);
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return (string)body["accessToken"]!;
    }

    [Fact]
    public async Task An_educator_creates_a_game_and_sees_its_server_key_once()
    {
        var (status, body, _) = await _relay.As("teacher-1", "educator").PostJsonAsync("/api/v1/games", new { gameId = "obby-1", name = "Obby" });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("obby-1", (string?)body["gameId"]);
        var key = (string)body["serverKey"]!;
        Assert.Matches("^rbk_[A-Za-z0-9_-]{43}$", key);

        Assert.DoesNotContain(key, _relay.DatabaseText());
        Assert.Contains(ClientTokens.Hash(key), _relay.DatabaseText());
        Assert.DoesNotContain(key, _relay.DatabaseFileText());
    }

    [Fact]
    public async Task A_duplicate_game_id_is_409_conflict_ignoring_case()
    {
        await CreateGameAsync("obby");
        foreach (var id in new[] { "obby", "OBBY" })
        {
            var (status, body, _) = await _relay.As("teacher-2", "educator").PostJsonAsync("/api/v1/games", new { gameId = id, name = "x" });
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.Equal("conflict", (string?)body["code"]);
        }
    }

    private static StringContent RobloxSyncEvent() =>
        new("{\"events\":[{\"channel\":\"roblox-sync\",\"event\":\"tick\",\"data\":{}}]}", Encoding.UTF8, "application/json");

    [Fact]
    public async Task Two_sessions_whose_job_ids_differ_only_in_case_are_separate_sessions_with_their_own_tokens()
    {
        var key = await CreateGameAsync("g1");
        var upper = await SessionTokenAsync("g1", key, "Job-A");
        var lower = await SessionTokenAsync("g1", key, "job-a");
        Assert.NotEqual(upper, lower);
        Assert.Equal(HttpStatusCode.Accepted, (await _relay.WithToken(upper).PostAsync("/api/v1/games/g1/servers/Job-A/trigger", RobloxSyncEvent())).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _relay.WithToken(lower).PostAsync("/api/v1/games/g1/servers/job-a/trigger", RobloxSyncEvent())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.WithToken(lower).PostAsync("/api/v1/games/g1/servers/Job-A/trigger", RobloxSyncEvent())).StatusCode);

        // Ending one session revokes its token only.
        Assert.Equal(HttpStatusCode.NoContent, (await _relay.WithToken(lower).DeleteAsync("/api/v1/games/g1/servers/job-a")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(lower).PostAsync("/api/v1/games/g1/servers/job-a/trigger", RobloxSyncEvent())).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _relay.WithToken(upper).PostAsync("/api/v1/games/g1/servers/Job-A/trigger", RobloxSyncEvent())).StatusCode);
    }

    [Fact]
    public async Task Students_cannot_create_games_and_anonymous_callers_are_401()
    {
        var (student, body, _) = await _relay.As("s1", "student").PostJsonAsync("/api/v1/games", new { gameId = "g", name = "G" });
        Assert.Equal(HttpStatusCode.Forbidden, student);
        Assert.Equal("forbidden", (string?)body["code"]);
        var (anonymous, _, _) = await _relay.Anonymous().PostJsonAsync("/api/v1/games", new { gameId = "g", name = "G" });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
    }

    [Theory]
    [InlineData("{\"gameId\":\"has space\",\"name\":\"G\"}", "gameId")]
    [InlineData("{\"gameId\":\"g#1\",\"name\":\"G\"}", "gameId")]
    [InlineData("{\"name\":\"G\"}", "gameId")]
    [InlineData("{\"gameId\":\"g\",\"name\":\"   \"}", "name")]
    [InlineData("{\"gameId\":\"g\"}", "name")]
    public async Task Invalid_games_are_400_naming_the_field(string json, string field)
    {
        var res = await _relay.As("teacher-1", "educator").PostAsync("/api/v1/games", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await Http.ReadAsync(res);
        Assert.True(res.StatusCode == HttpStatusCode.BadRequest, body.ToString());
        Assert.NotNull(body["errors"]![field]);
    }

    [Fact]
    public async Task Rotating_the_key_makes_the_old_one_stop_working()
    {
        var oldKey = await CreateGameAsync("g1");
        var (status, body, _) = await _relay.As("teacher-1", "educator").PostJsonAsync("/api/v1/games/g1/keys/rotate", new { });
        Assert.Equal(HttpStatusCode.OK, status);
        var newKey = (string)body["serverKey"]!;
        Assert.NotEqual(oldKey, newKey);

        var (refused, problem, _) = await RegisterAsync("g1", oldKey, "job-1");
        Assert.Equal(HttpStatusCode.Unauthorized, refused);
        Assert.Equal("unauthorized", (string?)problem["code"]);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync("g1", newKey, "job-1")).Status);
    }

    [Fact]
    public async Task Only_the_owner_or_an_admin_may_rotate_and_unknown_games_are_404()
    {
        await CreateGameAsync("g1");
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.As("teacher-2", "educator").PostAsync("/api/v1/games/g1/keys/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.As("s1", "student").PostAsync("/api/v1/games/g1/keys/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _relay.As("admin-1", "admin").PostAsync("/api/v1/games/g1/keys/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _relay.As("admin-1", "admin").PostAsync("/api/v1/games/nope/keys/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _relay.As("teacher-1", "educator").PostAsync("/api/v1/games/G1/keys/rotate", null)).StatusCode);
    }

    [Fact]
    public async Task A_server_registers_with_the_key_and_gets_a_session_with_its_own_inbox()
    {
        var key = await CreateGameAsync("g1");
        var (status, body, res) = await RegisterAsync("g1", key, "5c5d-job", placeId: 1234);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.StartsWith("rbs_", (string)body["accessToken"]!);
        Assert.Equal("5c5d-job", (string?)body["serverId"]);
        Assert.Equal("/api/v1/games/g1/servers/5c5d-job", res.Headers.Location?.ToString());
        Assert.Equal(("open", new RelayClient(ClientKind.GameServer, "5c5d-job", "g1"), (string?)null), Assert.Single(_relay.Inbox.Snapshot()));
        Assert.DoesNotContain((string)body["accessToken"]!, _relay.DatabaseText());
    }

    [Fact]
    public async Task Registering_needs_the_games_key()
    {
        var key = await CreateGameAsync("g1");
        var otherKey = await CreateGameAsync("g2");
        Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync("g1", otherKey, "j")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.Anonymous().PostJsonAsync("/api/v1/games/g1/servers", new { jobId = "j", placeId = 1 })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync("g1", "rbk_guess", "j")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await RegisterAsync("nope", key, "j")).Status);
        var jwt = await _relay.As("teacher-1", "educator").PostJsonAsync("/api/v1/games/g1/servers", new { jobId = "j", placeId = 1 });
        Assert.Equal(HttpStatusCode.Unauthorized, jwt.Status);
    }

    [Theory]
    [InlineData("{\"placeId\":1}")]
    [InlineData("{not json")]
    public async Task A_wrong_server_key_is_401_before_the_body_is_judged(string body)
    {
        await CreateGameAsync("g1");
        var otherKey = await CreateGameAsync("g2");
        var res = await _relay.WithToken(otherKey).PostAsync("/api/v1/games/g1/servers", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await Http.ReadAsync(res);
        Assert.True(res.StatusCode == HttpStatusCode.Unauthorized, problem.ToString());
        Assert.Equal("unauthorized", (string?)problem["code"]);
        Assert.Empty(_relay.Inbox.Snapshot());
    }

    [Theory]
    [InlineData("{\"placeId\":1}", "jobId")]
    [InlineData("{\"jobId\":\"has space\",\"placeId\":1}", "jobId")]
    [InlineData("{\"jobId\":\"j\"}", "placeId")]
    [InlineData("{\"jobId\":\"j\",\"placeId\":-1}", "placeId")]
    [InlineData("{\"jobId\":\"j\",\"placeId\":\"12\"}", "placeId")]
    [InlineData("{\"jobId\":\"j\",\"placeId\":1e40}", "placeId")]
    [InlineData("{\"jobId\":\"j\",\"placeId\":123456789012345678901234567890}", "placeId")]
    public async Task Invalid_registrations_are_400_naming_the_field(string json, string field)
    {
        var key = await CreateGameAsync("g1");
        var res = await _relay.WithToken(key).PostAsync("/api/v1/games/g1/servers", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await Http.ReadAsync(res);
        Assert.True(res.StatusCode == HttpStatusCode.BadRequest, body.ToString());
        Assert.Contains(((JObject)body["errors"]!).Properties(), p => p.Name.Contains(field, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Registering_the_same_job_again_replaces_the_previous_sessions_token()
    {
        var key = await CreateGameAsync("g1");
        var first = await SessionTokenAsync("g1", key, "job-1");
        var second = await SessionTokenAsync("g1", key, "job-1");
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(first).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _relay.WithToken(second).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        Assert.DoesNotContain(_relay.Inbox.Snapshot(), c => c.Action == "close" && c.Reason != "ended");
    }

    [Fact]
    public async Task A_session_ends_with_its_own_token_and_the_token_then_gets_401()
    {
        var key = await CreateGameAsync("g1");
        var token = await SessionTokenAsync("g1", key, "job-1");
        Assert.Equal(HttpStatusCode.NoContent, (await _relay.WithToken(token).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        Assert.Equal(("close", new RelayClient(ClientKind.GameServer, "job-1", "g1"), "ended"), _relay.Inbox.Snapshot().Last());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(token).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
    }

    [Fact]
    public async Task A_session_token_that_was_just_used_gets_401_on_its_next_request_once_the_session_ends_or_is_replaced()
    {
        var key = await CreateGameAsync("g1");
        var ended = await SessionTokenAsync("g1", key, "job-1");
        var replaced = await SessionTokenAsync("g1", key, "job-2");
        Assert.Equal(HttpStatusCode.OK, (await _relay.WithToken(ended).GetAsync("/api/v1/games/g1/servers/job-1/events?wait=0")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _relay.WithToken(replaced).GetAsync("/api/v1/games/g1/servers/job-2/events?wait=0")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _relay.WithToken(key).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        var replacement = await SessionTokenAsync("g1", key, "job-2");

        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(ended).GetAsync("/api/v1/games/g1/servers/job-1/events?wait=0")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(replaced).GetAsync("/api/v1/games/g1/servers/job-2/events?wait=0")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _relay.WithToken(replacement).GetAsync("/api/v1/games/g1/servers/job-2/events?wait=0")).StatusCode);
    }

    [Fact]
    public async Task A_session_ends_with_the_server_key_and_an_unknown_session_is_404()
    {
        var key = await CreateGameAsync("g1");
        var token = await SessionTokenAsync("g1", key, "job-1");
        Assert.Equal(HttpStatusCode.NoContent, (await _relay.WithToken(key).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(token).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _relay.WithToken(key).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
    }

    [Fact]
    public async Task A_session_token_cannot_end_another_session_and_other_credentials_are_refused()
    {
        var key = await CreateGameAsync("g1");
        var otherKey = await CreateGameAsync("g2");
        var mine = await SessionTokenAsync("g1", key, "job-1");
        await SessionTokenAsync("g1", key, "job-2");
        var (_, pluginToken) = await _relay.PairAsync("teacher-1");

        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.WithToken(mine).DeleteAsync("/api/v1/games/g1/servers/job-2")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.WithToken(mine).DeleteAsync("/api/v1/games/g2/servers/job-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.WithToken(pluginToken).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(otherKey).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.As("teacher-1", "educator").DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.Anonymous().DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
        Assert.DoesNotContain(_relay.Inbox.Snapshot(), c => c.Action == "close");
    }

    [Fact]
    public async Task Rotating_the_key_leaves_running_sessions_alone()
    {
        var key = await CreateGameAsync("g1");
        var token = await SessionTokenAsync("g1", key, "job-1");
        await _relay.As("teacher-1", "educator").PostAsync("/api/v1/games/g1/keys/rotate", null);
        Assert.Equal(HttpStatusCode.NoContent, (await _relay.WithToken(token).DeleteAsync("/api/v1/games/g1/servers/job-1")).StatusCode);
    }

    [Fact]
    public async Task Absurd_ids_in_paths_are_404_not_500()
    {
        var key = await CreateGameAsync("g1");
        var longId = new string('x', 3000);
        var weird = Uri.EscapeDataString("a b/ü");
        foreach (var id in new[] { longId, weird })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _relay.As("admin-1", "admin").PostAsync($"/api/v1/games/{id}/keys/rotate", null)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await RegisterAsync(id, key, "j")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await _relay.WithToken(key).DeleteAsync($"/api/v1/games/g1/servers/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await _relay.As("admin-1", "admin").DeleteAsync($"/api/v1/plugins/{id}")).StatusCode);
        }
    }

    public void Dispose() => _relay.Dispose();
}
