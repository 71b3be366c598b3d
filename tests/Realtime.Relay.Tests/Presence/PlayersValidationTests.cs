using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Presence;
using Realtime.Relay.Tests.Support;
using Realtime.Relay.Tests.Inbox;

namespace Realtime.Relay.Tests.Presence;

/// <summary>PUT P/players in-process: who may report, what is refused (400, never 500), and PUSHER_ENABLED=false.</summary>
public sealed class PlayersValidationTests : IDisposable
{
    // Pusher "enabled" but unreachable (port 1): accepted players' connections just keep retrying.
    private readonly RelayFactory _relay = new();
    private readonly InboxHarness _inbox;

    public PlayersValidationTests() => _inbox = new InboxHarness(_relay);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Players(int count, Func<int, string>? name = null) =>
        "{\"players\":[" + string.Join(",", Enumerable.Range(1, count).Select(i => $"{{\"userId\":{i},\"name\":\"{name?.Invoke(i) ?? "p" + i}\"}}")) + "]}";

    public static TheoryData<string, string> Invalid => new()
    {
        { "{}", "players" },
        { "{\"players\":null}", "players" },
        { "{\"players\":{\"userId\":1}}", "players" },
        { "{\"players\":[null]}", "players[0]" },
        { "{\"players\":[{\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":0,\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":-5,\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":\"abc\",\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":1.5,\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":99999999999999999999999,\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":1}]}", "players[0].name" },
        { "{\"players\":[{\"userId\":1,\"name\":\"\"}]}", "players[0].name" },
        { "{\"players\":[{\"userId\":1,\"name\":\"   \"}]}", "players[0].name" },
        { "{\"players\":[{\"userId\":1,\"name\":\"a\\u0000b\"}]}", "players[0].name" },
        { "{\"players\":[{\"userId\":1,\"name\":\"a\\nb\"}]}", "players[0].name" },
        { "{\"players\":[{\"userId\":1,\"name\":\"a\\u200bb\"}]}", "players[0].name" },
        { "{\"players\":[{\"userId\":true,\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":\"12\",\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":{},\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":null,\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":1e300,\"name\":\"a\"}]}", "players[0].userId" },
        { "{\"players\":[{\"userId\":1,\"name\":[\"a\"]}]}", "players[0].name" },
        { "{\"players\":[{\"userId\":1,\"name\":\"" + new string('n', 51) + "\"}]}", "players[0].name" },
        { "{\"players\":[{\"userId\":1,\"name\":\"a\",\"displayName\":\"" + new string('d', 51) + "\"}]}", "players[0].displayName" },
        { "{\"players\":[{\"userId\":1,\"name\":\"a\",\"displayName\":\"x\\u202ey\"}]}", "players[0].displayName" },
        { "{\"players\":[{\"userId\":1,\"name\":\"a\"},{\"userId\":2,\"name\":\"b\"},{\"userId\":1,\"name\":\"c\"}]}", "players" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Invalid_rosters_are_400_problems_naming_the_field(string body, string field)
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var res = await http.PutAsync(server.BasePath + "/players", Json(body));
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.BadRequest, $"{body} -> {(int)res.StatusCode}: {text}");
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var problem = JObject.Parse(text);
        Assert.Equal("invalid_request", (string?)problem["code"]);
        var fields = ((JObject)problem["errors"]!).Properties().Select(p => p.Name).ToList();
        Assert.True(fields.Any(f => f.Equals(field, StringComparison.OrdinalIgnoreCase) || f.StartsWith(field + ".", StringComparison.OrdinalIgnoreCase)
                                     || f.StartsWith("$." + field, StringComparison.OrdinalIgnoreCase) || f.Equals("$", StringComparison.Ordinal) && field == "players"),
            $"{body}: expected an error on {field}, got {string.Join(", ", fields)}");
        Assert.Empty(_relay.Services.GetRequiredService<PresenceRoster>().Snapshot("g1").Players);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("\"players\"")]
    [InlineData("{\"players\":[")]
    public async Task Bodies_that_are_not_a_roster_are_400(string body)
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var res = await http.PutAsync(server.BasePath + "/players", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
    }

    [Fact]
    public async Task Duplicate_user_ids_are_named_in_the_reason()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var res = await http.PutAsync(server.BasePath + "/players", Json(
            "{\"players\":[{\"userId\":7,\"name\":\"a\"},{\"userId\":7,\"name\":\"b\"}]}"));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("7", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["detail"]);
    }

    [Fact]
    public async Task More_than_200_players_are_refused_and_200_are_accepted()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g1");
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PutAsync(server.BasePath + "/players", Json(Players(201)))).StatusCode);
        var ok = await http.PutAsync(server.BasePath + "/players", Json(Players(200)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(200, (int)JObject.Parse(await ok.Content.ReadAsStringAsync())["present"]!);
    }

    [Fact]
    public async Task Lenient_names_and_an_empty_roster_are_accepted()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var res = await http.PutAsync(server.BasePath + "/players", Json(
            "{\"players\":[{\"userId\":1,\"name\":\"" + new string('n', 50) + "\",\"displayName\":\"Zoë 🎮\"},{\"userId\":9007199254740993,\"name\":\"x\",\"displayName\":null},{\"userId\":3.0,\"name\":\"three\"}]}"));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var snapshot = _relay.Services.GetRequiredService<PresenceRoster>().Snapshot("g1");
        Assert.Equal(new long[] { 1, 3, 9007199254740993 }, snapshot.Players.Select(p => p.UserId).Order());
        Assert.Equal("Zoë 🎮", snapshot.Players.Single(p => p.UserId == 1).DisplayName);
        Assert.Contains(snapshot.Players, p => p.UserId == 9007199254740993 && p.DisplayName == "x");

        var empty = await http.PutAsync(server.BasePath + "/players", Json("{\"players\":[]}"));
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
        var answer = JObject.Parse(await empty.Content.ReadAsStringAsync());
        Assert.Equal(0, (int)answer["present"]!);
        Assert.Equal(3, answer["removed"]!.Count());
    }

    [Fact]
    public async Task A_plugin_not_paired_with_a_game_is_refused_with_a_reason()
    {
        var (plugin, http) = await _inbox.NewClientAsync(ClientKind.Plugin);
        var res = await http.PutAsync(plugin.BasePath + "/players", Json("{\"players\":[{\"userId\":1,\"name\":\"a\"}]}"));
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        var problem = JObject.Parse(await res.Content.ReadAsStringAsync());
        Assert.Equal("no_game", (string?)problem["code"]);
        Assert.Contains("gameId", (string?)problem["detail"]);
    }

    [Fact]
    public async Task A_plugin_not_paired_with_a_game_is_told_so_before_its_roster_is_judged()
    {
        var (plugin, http) = await _inbox.NewClientAsync(ClientKind.Plugin);
        var res = await http.PutAsync(plugin.BasePath + "/players", Json("{\"players\":[{\"userId\":-1}]}"));
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        Assert.Equal("no_game", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["code"]);
    }

    [Fact]
    public async Task Another_clients_token_is_403_and_no_token_is_401()
    {
        var (server, _) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var (_, otherHttp) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var (_, pluginHttp) = await _inbox.NewClientAsync(ClientKind.Plugin, gameId: "g1");
        const string body = "{\"players\":[{\"userId\":1,\"name\":\"a\"}]}";
        Assert.Equal(HttpStatusCode.Forbidden, (await otherHttp.PutAsync(server.BasePath + "/players", Json(body))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await pluginHttp.PutAsync(server.BasePath + "/players", Json(body))).StatusCode);
        using var anonymous = _relay.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsync(server.BasePath + "/players", Json(body))).StatusCode);
        using var jwt = _relay.ClientAs("u1", "admin");
        Assert.Equal(HttpStatusCode.Unauthorized, (await jwt.PutAsync(server.BasePath + "/players", Json(body))).StatusCode);
        Assert.Empty(_relay.Services.GetRequiredService<PresenceRoster>().Snapshot("g1").Players);
    }

    [Fact]
    public async Task A_game_id_that_makes_no_channel_name_is_400_not_500()
    {
        var client = new RelayClient(ClientKind.Plugin, ClientTokens.NewId(), "bad game/id");
        var token = await StoredClients.AddAsync(_relay.Services, client);
        using var http = _relay.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var res = await http.PutAsync(client.BasePath + "/players", Json("{\"players\":[{\"userId\":1,\"name\":\"a\"}]}"));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
    }

    public void Dispose() => _relay.Dispose();
}

/// <summary>With PUSHER_ENABLED=false nothing can be a presence member: both endpoints say so.</summary>
public sealed class PlayersWithPusherDisabledTests : IDisposable
{
    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["PUSHER_ENABLED"] = "false" });

    [Fact]
    public async Task Both_endpoints_answer_503_pusher_disabled()
    {
        var (server, http) = await new InboxHarness(_relay).NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var put = await http.PutAsync(server.BasePath + "/players",
            new StringContent("{\"players\":[{\"userId\":1,\"name\":\"a\"}]}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
        Assert.Equal("pusher_disabled", (string?)JObject.Parse(await put.Content.ReadAsStringAsync())["code"]);

        using var educator = _relay.ClientAs("u1", "educator");
        var get = await educator.GetAsync("/api/v1/games/g1/players");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, get.StatusCode);
        Assert.Equal("pusher_disabled", (string?)JObject.Parse(await get.Content.ReadAsStringAsync())["code"]);
    }

    public void Dispose() => _relay.Dispose();
}
