using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Plugins;
using Realtime.Relay.Publishing;
using Realtime.Relay.Tests.Inbox;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Pairing;

/// <summary>
/// Issue 9, item 2: a plugin acts for a game (its <c>presence-game-&lt;gameId&gt;</c>, its roster)
/// only when that game is its owner's. Approval with someone else's game is 403 <c>game_not_owned</c>;
/// a plugin already paired with a game its owner does not own cannot use it either.
/// </summary>
public sealed class PluginGameOwnershipTests : IDisposable
{
    private readonly AccountsRelay _relay = new();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Approving_a_plugin_that_names_another_educators_game_is_403_game_not_owned_and_leaves_the_code_pending()
    {
        await _relay.CreateGameAsync("obby-a", "teacher-a");
        var started = await _relay.StartAsync(new { placeId = 1, gameId = "obby-a" });

        var (status, problem, _) = await _relay.ApproveAsync("teacher-b", (string)started["userCode"]!);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("game_not_owned", (string?)problem["code"]);
        Assert.Contains("obby-a", (string?)problem["detail"]);

        var (pending, poll, _) = await _relay.PollAsync((string)started["deviceCode"]!);
        Assert.Equal(HttpStatusCode.BadRequest, pending);
        Assert.Equal("authorization_pending", (string?)poll["code"]);

        // The game's owner (or an admin) can still approve the same code.
        var (ok, _, _) = await _relay.ApproveAsync("teacher-a", (string)started["userCode"]!);
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task Approving_a_plugin_that_names_a_game_nobody_created_is_403_game_not_owned()
    {
        var started = await _relay.StartAsync(new { placeId = 1, gameId = "no-such-game" });
        var (status, problem, _) = await _relay.ApproveAsync("teacher-b", (string)started["userCode"]!);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("game_not_owned", (string?)problem["code"]);
    }

    [Fact]
    public async Task An_admin_may_approve_a_plugin_for_an_educators_game_and_that_plugin_may_use_it()
    {
        await _relay.CreateGameAsync("obby-a", "teacher-a");
        var (pluginId, _) = await _relay.PairAsync("admin-1", "admin", gameId: "obby-a");
        var plugin = (await _relay.Factory.Services.GetRequiredService<IPluginStore>().FindAsync(pluginId))!;
        Assert.Equal("obby-a", await _relay.Factory.Services.GetRequiredService<GameAccess>().GameOfAsync(plugin.ToClient()));
    }

    public void Dispose() => _relay.Dispose();
}

/// <summary>What a paired plugin may do with a game, through the real endpoints.</summary>
public sealed class PluginGamePresenceTests : IDisposable
{
    private readonly RelayFactory _relay = new();
    private readonly InboxHarness _inbox;

    public PluginGamePresenceTests() => _inbox = new InboxHarness(_relay);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
    private int Pending => _relay.Services.GetRequiredService<Outbox>().PendingAsync().GetAwaiter().GetResult();

    [Fact]
    public async Task A_plugin_whose_owner_does_not_own_its_game_cannot_publish_on_that_games_presence_channel_or_report_its_players()
    {
        // Paired (before approval checked ownership) naming a game another educator owns.
        var (plugin, http) = await _inbox.NewClientAsync(ClientKind.Plugin, gameId: "victim-game", pluginOwner: "intruder");

        var trigger = await http.PostAsync(plugin.BasePath + "/trigger",
            Json("{\"events\":[{\"channel\":\"presence-game-victim-game\",\"event\":\"score\",\"data\":1}]}"));
        Assert.Equal(HttpStatusCode.Forbidden, trigger.StatusCode);
        Assert.Equal(0, Pending);

        var players = await http.PutAsync(plugin.BasePath + "/players", Json("{\"players\":[{\"userId\":1,\"name\":\"filler\"}]}"));
        Assert.Equal(HttpStatusCode.Forbidden, players.StatusCode);
        Assert.Equal("game_not_owned", (string?)JObject.Parse(await players.Content.ReadAsStringAsync())["code"]);
        Assert.Empty(_relay.Services.GetRequiredService<Realtime.Relay.Presence.PresenceRoster>().Snapshot("victim-game").Players);

        // roblox-sync and its own channel stay open to it.
        var allowed = await http.PostAsync(plugin.BasePath + "/trigger",
            Json($"{{\"events\":[{{\"channel\":\"roblox-sync\",\"event\":\"e\",\"data\":1}},{{\"channel\":\"{plugin.OwnChannel}\",\"event\":\"e\",\"data\":1}}]}}"));
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
    }

    [Fact]
    public async Task A_plugin_whose_owner_owns_its_game_publishes_on_its_presence_channel()
    {
        var (plugin, http) = await _inbox.NewClientAsync(ClientKind.Plugin, gameId: "own-game", pluginOwner: InboxHarness.GameOwner);
        var trigger = await http.PostAsync(plugin.BasePath + "/trigger",
            Json("{\"events\":[{\"channel\":\"presence-game-own-game\",\"event\":\"score\",\"data\":1}]}"));
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        Assert.Equal(1, Pending);
    }

    [Theory]
    [InlineData("presence-game-game1")]
    [InlineData("presence-game-anything")]
    public async Task A_plugin_paired_without_a_game_cannot_publish_on_any_presence_game_channel_nor_report_players(string channel)
    {
        var (plugin, http) = await _inbox.NewClientAsync(ClientKind.Plugin);
        var trigger = await http.PostAsync(plugin.BasePath + "/trigger",
            Json($"{{\"events\":[{{\"channel\":\"{channel}\",\"event\":\"score\",\"data\":1}}]}}"));
        Assert.Equal(HttpStatusCode.Forbidden, trigger.StatusCode);
        Assert.Equal(0, Pending);

        var players = await http.PutAsync(plugin.BasePath + "/players", Json("{\"players\":[{\"userId\":1,\"name\":\"filler\"}]}"));
        Assert.Equal(HttpStatusCode.Forbidden, players.StatusCode);
        Assert.Equal("no_game", (string?)JObject.Parse(await players.Content.ReadAsStringAsync())["code"]);
    }

    public void Dispose() => _relay.Dispose();
}
