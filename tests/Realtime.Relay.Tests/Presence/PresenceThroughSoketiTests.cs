using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Pusher;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Rest;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Tests.Inbox;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Presence;

/// <summary>
/// Issue 5's presence acceptance: players reported with <c>PUT P/players</c> are real members of
/// <c>presence-game-&lt;gameId&gt;</c> on a real soketi, as the dashboard's pusher-js sees them.
/// </summary>
public sealed class PresenceThroughSoketiTests : IAsyncLifetime
{
    private const double SilenceSeconds = 8; // long enough that a busy machine never delays a live report past it
    private static readonly TimeSpan Soon = Patience.Step;

    private SoketiServer _soketi = null!;
    private RelayFactory _relay = null!;
    private InboxHarness _inbox = null!;
    private LocalAuthEndpoint _auth = null!;
    private readonly List<PusherJsClient> _dashboards = new();

    public async Task InitializeAsync()
    {
        _soketi = await SoketiServer.StartAsync();
        _relay = new RelayFactory(new Dictionary<string, string?>
        {
            ["PUSHER_PORT"] = _soketi.Port.ToString(),
            ["Presence:SilenceSeconds"] = SilenceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        _inbox = new InboxHarness(_relay);
        var authorizer = new PusherAuthorizer(_soketi.Settings.Key, _soketi.Settings.Secret);
        _auth = new LocalAuthEndpoint((socketId, channel) =>
            authorizer.AuthorizePresenceChannel(socketId, channel, "teacher-1", new { name = "T" }).ToJson());
    }

    private async Task<PusherJsClient> DashboardAsync()
    {
        var dashboard = await PusherJsClient.ConnectAsync(new PusherJsOptions
        {
            Key = _soketi.Settings.Key, Host = _soketi.Host, Port = _soketi.Port, AuthEndpoint = _auth.Url,
        });
        _dashboards.Add(dashboard);
        return dashboard;
    }

    private static StringContent Roster(params (long UserId, string Name, string? DisplayName)[] players) => new(
        new JObject
        {
            ["players"] = new JArray(players.Select(p => new JObject { ["userId"] = p.UserId, ["name"] = p.Name, ["displayName"] = p.DisplayName })),
        }.ToString(), Encoding.UTF8, "application/json");

    private static async Task<JObject> ReportAsync(HttpClient http, RelayClient client, params (long, string, string?)[] players)
    {
        var res = await http.PutAsync(client.BasePath + "/players", Roster(players));
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.OK, $"PUT players -> {(int)res.StatusCode}: {body}");
        return JObject.Parse(body);
    }

    private static bool Is(JObject m, string type, string id) => (string?)m["type"] == type && (string?)m["id"] == id;

    private static List<JObject> MemberEvents(PusherJsClient dashboard, string channel) =>
        dashboard.Messages.Where(m => (string?)m["channel"] == channel && (string?)m["type"] is "member_added" or "member_removed").ToList();

    [Fact]
    public async Task Two_reported_players_are_members_with_their_names_and_job()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var watching = await DashboardAsync();
        Assert.Equal("subscribed", (string?)(await watching.SubscribeAsync("presence-game-g1"))["type"]);

        var answer = await ReportAsync(http, server, (101, "Builderman", "Builder"), (202, "alice_99", null));
        Assert.Equal(new long[] { 101, 202 }, answer["added"]!.Values<long>().Order());
        Assert.Equal(2, (int)answer["present"]!);

        var added = await watching.WaitForAsync(m => Is(m, "member_added", "roblox-101"), Soon, "roblox-101 to join");
        Assert.Equal("Builderman", (string?)added["info"]!["name"]);
        Assert.Equal("Builder", (string?)added["info"]!["displayName"]);
        Assert.Equal(server.Id, (string?)added["info"]!["jobId"]);
        Assert.Equal("roblox-player", (string?)added["info"]!["kind"]);
        await watching.WaitForAsync(m => Is(m, "member_added", "roblox-202"), Soon, "roblox-202 to join");

        // A dashboard opened later finds them in channel.members.
        var later = await DashboardAsync();
        var subscribed = await later.SubscribeAsync("presence-game-g1");
        var members = ((JArray)subscribed["members"]!).Cast<JObject>().ToDictionary(m => (string)m["id"]!);
        Assert.Equal(new[] { "roblox-101", "roblox-202", "teacher-1" }, members.Keys.Order());
        Assert.Equal("alice_99", (string?)members["roblox-202"]["info"]!["name"]);
        Assert.Equal("alice_99", (string?)members["roblox-202"]["info"]!["displayName"]); // defaults to the name
        Assert.Equal(server.Id, (string?)members["roblox-202"]["info"]!["jobId"]);
        // Players and platform users share the channel; kind tells them apart.
        Assert.Equal("roblox-player", (string?)members["roblox-202"]["info"]!["kind"]);
        Assert.Null(members["teacher-1"]["info"]!["kind"]);

        // Pusher's presence users API agrees.
        using var rest = new PusherRestClient(new PusherOptions
        {
            AppId = _soketi.Settings.AppId, Key = _soketi.Settings.Key, Secret = _soketi.Settings.Secret,
            Host = _soketi.Host, Port = _soketi.Port, Scheme = "http",
        });
        var users = await rest.GetPresenceUsersAsync("presence-game-g1");
        Assert.Contains(users, u => u.Id == "roblox-101");
        Assert.Contains(users, u => u.Id == "roblox-202");
    }

    [Fact]
    public async Task A_player_dropped_from_the_roster_leaves_and_the_same_roster_again_changes_nothing()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g2");
        var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("presence-game-g2");
        await ReportAsync(http, server, (1, "one", null), (2, "two", null));
        await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-1"), Soon, "roblox-1 to join");
        await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-2"), Soon, "roblox-2 to join");

        var answer = await ReportAsync(http, server, (1, "one", null));
        Assert.Equal(new long[] { 2 }, answer["removed"]!.Values<long>());
        Assert.Empty(answer["added"]!);
        await dashboard.WaitForAsync(m => Is(m, "member_removed", "roblox-2"), Soon, "roblox-2 to leave");

        var again = await ReportAsync(http, server, (1, "one", null));
        Assert.Empty(again["added"]!);
        Assert.Empty(again["removed"]!);
        Assert.Empty(again["updated"]!);

        // A marker player joins after the repeat: any change the repeat caused would have been seen by then.
        await ReportAsync(http, server, (1, "one", null), (3, "three", null));
        await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-3"), Soon, "roblox-3 to join");
        await Task.Delay(300);
        Assert.Equal(
            new[] { "member_added roblox-1", "member_added roblox-2", "member_added roblox-3", "member_removed roblox-2" },
            MemberEvents(dashboard, "presence-game-g2").Select(m => $"{m["type"]} {m["id"]}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Ending_a_servers_session_removes_its_players_at_once()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g-end");
        var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("presence-game-g-end");
        await ReportAsync(http, server, (7, "seven", null));
        await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-7"), Soon, "roblox-7 to join");

        // What DELETE …/servers/{jobId} and the silent-session sweeper do:
        Assert.True(await _relay.Services.GetRequiredService<Realtime.Relay.Games.GameService>().EndAsync(server, "ended"));
        await dashboard.WaitForAsync(m => Is(m, "member_removed", "roblox-7"), TimeSpan.FromSeconds(SilenceSeconds - 1),
            "roblox-7 to leave before the silence timeout");
    }

    [Fact]
    public async Task A_new_display_name_is_shown_by_leaving_and_joining_again()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g3");
        var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("presence-game-g3");
        await ReportAsync(http, server, (7, "seven", "Old"));
        await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-7"), Soon, "roblox-7 to join");

        var answer = await ReportAsync(http, server, (7, "seven", "New"));
        Assert.Equal(new long[] { 7 }, answer["updated"]!.Values<long>());
        await dashboard.WaitForAsync(m => Is(m, "member_removed", "roblox-7"), Soon, "roblox-7 to leave");
        var rejoined = await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-7") && (string?)m["info"]!["displayName"] == "New",
            Soon, "roblox-7 to join again as New");
        Assert.Equal("seven", (string?)rejoined["info"]!["name"]);
    }

    [Fact]
    public async Task A_server_that_goes_silent_loses_its_players_after_the_silence()
    {
        var (quiet, quietHttp) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g4");
        var (busy, busyHttp) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g4");
        var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("presence-game-g4");
        await ReportAsync(quietHttp, quiet, (11, "eleven", null), (12, "twelve", null));
        await ReportAsync(busyHttp, busy, (21, "twentyone", null));
        await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-12"), Soon, "roblox-12 to join");
        await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-21"), Soon, "roblox-21 to join");
        var lastReport = DateTime.UtcNow;

        // The busy server keeps reporting; the quiet one stops.
        using var stop = new CancellationTokenSource();
        var keepReporting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await ReportAsync(busyHttp, busy, (21, "twentyone", null));
                await Task.Delay(500);
            }
        });
        await dashboard.WaitForAsync(m => Is(m, "member_removed", "roblox-11"), Soon, "roblox-11 to leave");
        await dashboard.WaitForAsync(m => Is(m, "member_removed", "roblox-12"), Soon, "roblox-12 to leave");
        Assert.True(DateTime.UtcNow - lastReport >= TimeSpan.FromSeconds(SilenceSeconds - 0.5), "players left before the silence had passed");
        await stop.CancelAsync();
        await keepReporting;
        Assert.DoesNotContain(MemberEvents(dashboard, "presence-game-g4"), m => Is(m, "member_removed", "roblox-21"));

        using var educator = _relay.ClientAs("u1", "educator");
        var snapshot = JObject.Parse(await educator.GetStringAsync("/api/v1/games/g4/players"));
        Assert.Equal(new long[] { 21 }, snapshot["players"]!.Select(p => (long)p["userId"]!));

        // Reporting again brings the server's players back.
        await ReportAsync(quietHttp, quiet, (11, "eleven", null));
        await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-11") &&
                                          MemberEvents(dashboard, "presence-game-g4").Count(e => Is(e, "member_added", "roblox-11")) == 2,
            Soon, "roblox-11 to join again");
    }

    [Fact]
    public async Task The_players_snapshot_lists_the_games_players_for_platform_users()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g5");
        var (plugin, pluginHttp) = await _inbox.NewClientAsync(ClientKind.Plugin, gameId: "g5");
        await ReportAsync(http, server, (5, "five", "Five"), (6, "six", null));
        await ReportAsync(pluginHttp, plugin, (9, "studio_dev", null));

        using var educator = _relay.ClientAs("u1", "educator");
        JObject snapshot = null!;
        await Wait.UntilAsync(async () =>
        {
            snapshot = JObject.Parse(await educator.GetStringAsync("/api/v1/games/g5/players"));
            return snapshot["players"]!.All(p => (string?)p["pusher"] == "member");
        }, Soon, "every player to be a member");
        Assert.Equal("g5", (string?)snapshot["gameId"]);
        var players = snapshot["players"]!.ToDictionary(p => (long)p["userId"]!);
        Assert.Equal(new long[] { 5, 6, 9 }, players.Keys.Order());
        Assert.Equal("five", (string?)players[5]["name"]);
        Assert.Equal("Five", (string?)players[5]["displayName"]);
        Assert.Equal(server.Id, (string?)players[5]["jobId"]);
        Assert.Equal("studio-" + plugin.Id, (string?)players[9]["jobId"]);
        Assert.NotNull(players[6]["since"]);
        Assert.Equal(2, snapshot["servers"]!.Count());

        using var student = _relay.ClientAs("s1", "student");
        Assert.Equal(HttpStatusCode.OK, (await student.GetAsync("/api/v1/games/g5/players")).StatusCode);
        using var anonymous = _relay.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/games/g5/players")).StatusCode);
        // A relay client token is not a platform JWT.
        using var withClientToken = _relay.CreateClient();
        withClientToken.DefaultRequestHeaders.Authorization = http.DefaultRequestHeaders.Authorization;
        Assert.Equal(HttpStatusCode.Unauthorized, (await withClientToken.GetAsync("/api/v1/games/g5/players")).StatusCode);

        var empty = JObject.Parse(await educator.GetStringAsync("/api/v1/games/nobody-here/players"));
        Assert.Empty(empty["players"]!);
    }

    [Fact]
    public async Task A_plugin_paired_with_a_game_reports_its_studio_session_as_members()
    {
        var (plugin, http) = await _inbox.NewClientAsync(ClientKind.Plugin, gameId: "g6");
        var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("presence-game-g6");
        await ReportAsync(http, plugin, (42, "dev_one", "Dev"));
        var added = await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-42"), Soon, "roblox-42 to join");
        Assert.Equal("studio-" + plugin.Id, (string?)added["info"]!["jobId"]);
    }

    [Fact]
    public async Task Players_leave_when_the_relay_stops()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g7");
        var dashboard = await DashboardAsync();
        await dashboard.SubscribeAsync("presence-game-g7");
        await ReportAsync(http, server, (70, "seventy", null));
        await dashboard.WaitForAsync(m => Is(m, "member_added", "roblox-70"), Soon, "roblox-70 to join");
        _relay.Dispose();
        await dashboard.WaitForAsync(m => Is(m, "member_removed", "roblox-70"), Soon, "roblox-70 to leave");
    }

    [Fact]
    public async Task Players_beyond_the_presence_channel_limit_are_reported_as_refused()
    {
        // Pusher and soketi allow 100 members per presence channel; a Roblox server can hold 200.
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g8");
        var roster = Enumerable.Range(1, 101).Select(i => ((long)i, "p" + i, (string?)null)).ToArray();
        var answer = await ReportAsync(http, server, roster);
        Assert.Equal(101, (int)answer["present"]!);

        using var educator = _relay.ClientAs("u1", "educator");
        JObject snapshot = null!;
        await Wait.UntilAsync(async () =>
        {
            snapshot = JObject.Parse(await educator.GetStringAsync("/api/v1/games/g8/players"));
            return snapshot["players"]!.All(p => (string?)p["pusher"] != "joining");
        }, TimeSpan.FromSeconds(30), "every player to be a member or refused");
        var states = snapshot["players"]!.Select(p => (string)p["pusher"]!).ToList();
        Assert.Equal(100, states.Count(s => s == "member"));
        var refused = (long)snapshot["players"]!.Single(p => ((string)p["pusher"]!).StartsWith("refused", StringComparison.Ordinal))["userId"]!;

        // Once a player leaves, the refused one gets in on a later report.
        var smaller = roster.Where(p => p.Item1 != (refused == 1 ? 2 : 1)).ToArray();
        await Wait.UntilAsync(async () =>
        {
            await ReportAsync(http, server, smaller);
            snapshot = JObject.Parse(await educator.GetStringAsync("/api/v1/games/g8/players"));
            return snapshot["players"]!.All(p => (string?)p["pusher"] == "member");
        }, TimeSpan.FromSeconds(30), "the refused player to become a member");
        Assert.Equal(100, snapshot["players"]!.Count());
    }

    public async Task DisposeAsync()
    {
        foreach (var d in _dashboards) await d.DisposeAsync();
        _relay.Dispose();
        await _auth.DisposeAsync();
        await _soketi.DisposeAsync();
    }
}
