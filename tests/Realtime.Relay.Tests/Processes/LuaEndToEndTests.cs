using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Pusher;
using Realtime.Pusher.Rest;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;
using Xunit.Abstractions;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// The Roblox side end to end against the relay as a real process and a real soketi: the
/// game-server module under Lune, loaded from the model the relay serves (roblox-plugin/e2e/
/// GameServer.e2e.luau, HttpService over TCP, production waits), and the plugin's modules under
/// lua5.1 + busted (Plugin.e2e.lua, HttpService over LuaSocket). This class
/// plays everyone else: the backend (Pusher REST trigger to the client's channel), the dashboard
/// (pusher-js on roblox-sync and presence-game-*, an educator's JWT), and the operator who
/// restarts the relay. Each test gets its own soketi, relay and database.
/// </summary>
public sealed class LuaEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(20);
    /// <summary>For the Lune flow, which runs with production waits (20 s long-polls, backoff up to 60 s).</summary>
    private static readonly TimeSpan LongStep = TimeSpan.FromSeconds(180);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lua-e2e-" + Guid.NewGuid().ToString("N"));
    private readonly string _jwt = TestJwt.For("e2e-teacher", "educator", name: "E2E Teacher");
    private SoketiServer _soketi = null!;
    private RelayProcess _relay = null!;
    private PusherRestClient _backend = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _soketi = await SoketiServer.StartAsync();
        var env = RelayProcess.EnvironmentFor(_soketi, Path.Combine(_dir, "relay.db"));
        env["Relay__Pairing__IntervalSeconds"] = "1"; // the plugin polls for its token every second
        _relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, env);
        _backend = new PusherRestClient(new PusherOptions
        {
            AppId = _soketi.Settings.AppId, Key = _soketi.Settings.Key, Secret = _soketi.Settings.Secret,
            Host = _soketi.Host, Port = _soketi.Port, Scheme = "http",
        });
    }

    [Fact]
    public async Task The_studio_plugin_pairs_hears_the_backend_publishes_to_the_dashboard_and_survives_relay_restarts()
    {
        await using var dashboard = await SignedInDashboardAsync();
        Assert.Equal("subscribed", (string?)(await dashboard.SubscribeAsync("roblox-sync"))["type"]);
        // The spec's plugin pairs naming game 4243: its approver (this educator) must own it.
        using (var educator = new HttpClient { BaseAddress = new Uri(_relay.BaseUrl) }.WithBearer(_jwt))
        {
            var (gameCreated, game, _) = await educator.PostJsonAsync("/api/v1/games", new { gameId = "4243", name = "E2E plugin's game" });
            Assert.True(gameCreated == HttpStatusCode.Created, game.ToString());
        }
        await using var lua = LuaSpecProcess.Start("e2e/Plugin.e2e.lua", _dir, new Dictionary<string, string?>
        {
            ["RELAY_URL"] = _relay.BaseUrl,
            ["DASHBOARD_JWT"] = _jwt,
        });

        // 1. Pairing: the spec approves with the educator's JWT, as the dashboard does.
        var paired = await lua.ExpectAsync("paired");
        var pluginId = (string)paired["pluginId"]!;
        var channel = (string)paired["channel"]!;
        Assert.Equal("private-plugin-" + pluginId, channel);

        // 2. The backend triggers to the plugin's channel, exactly as before the relay existed.
        await WaitUntilRelayHearsAsync(channel);
        await _backend.TriggerAsync(channel, "notification", new { message = "hello 1", level = "info" });
        lua.Answer("triggered-1", new { message = "hello 1" });

        // 3. roblox-sync from the plugin reaches pusher-js, wrapped with its sender.
        await lua.ExpectAsync("published");
        var place = await dashboard.NextEventAsync("roblox-sync", "place-changed", Step);
        Assert.Equal(pluginId, (string?)place["data"]!["from"]!["id"]);
        lua.Answer("dashboard-received", new { data = place["data"] });

        // 4. The relay restarts while the plugin listens and publishes.
        await lua.ExpectAsync("restart-relay");
        await StopRelayAsync(channel);
        lua.Answer("relay-down");
        await lua.ExpectAsync("saw-relay-down"); // it polled and published into the void, and backs off
        await StartRelayAsync(channel);
        await _backend.TriggerAsync(channel, "notification", new { message = "hello 2" });
        lua.Answer("relay-up", new { message = "hello 2" });
        await lua.ExpectAsync("published-while-down");
        await AssertPublishedOnceAsync(dashboard, "selection-changed");
        lua.Answer("dashboard-received-selection");

        // 5. Studio closed; an event arrives and is stored; the relay restarts; Studio opens again.
        var stopped = await lua.ExpectAsync("plugin-stopped");
        var settings = JObject.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "plugin-settings.json"))); // Studio's plugin settings
        var after = (long)settings["RealtimeBridge.cursor"]!["after"]!;
        Assert.Equal((long)stopped["after"]!, after);
        await _backend.TriggerAsync(channel, "notification", new { message = "hello 3" });
        await WaitUntilStoredAsync("/api/v1/plugins/" + pluginId, (string)settings["RealtimeBridge.session"]!["token"]!, after, "hello 3");
        await StopRelayAsync(channel);
        await StartRelayAsync(channel);
        await _backend.TriggerAsync(channel, "notification", new { message = "hello 4" });
        lua.Answer("reopen");

        await lua.ExpectAsync("done");
        var result = await lua.FinishAsync();
        output.WriteLine(result.Tap);
        Assert.Equal((5, 0, 0), (result.Passed, result.Failed, result.Skipped));
    }

    [Fact]
    public async Task The_game_server_module_registers_hears_the_backend_publishes_reports_players_survives_relay_restarts_and_ends_in_BindToClose()
    {
        var gameId = "e2e-game-" + Guid.NewGuid().ToString("N")[..8];
        using var educator = new HttpClient { BaseAddress = new Uri(_relay.BaseUrl) }.WithBearer(_jwt);
        var (created, game, _) = await educator.PostJsonAsync("/api/v1/games", new { gameId, name = "E2E game" });
        Assert.Equal(HttpStatusCode.Created, created);

        await using var dashboard = await SignedInDashboardAsync();
        Assert.Equal("subscribed", (string?)(await dashboard.SubscribeAsync("roblox-sync"))["type"]);
        PusherJsClient? presence = null;
        await using var lua = LuaSpecProcess.StartLune("e2e/GameServer.e2e.luau", _dir, new Dictionary<string, string?>
        {
            ["RELAY_URL"] = _relay.BaseUrl,
            ["GAME_ID"] = gameId,
            ["SERVER_KEY"] = (string)game["serverKey"]!,
        });
        try
        {
            // 1. Registered with the server key.
            var registered = await lua.ExpectAsync("registered", LongStep);
            var jobId = (string)registered["jobId"]!;
            var channel = "private-game-" + gameId;

            // 2. The backend triggers to the game's channel; game code's Bridge.on hears it.
            await WaitUntilRelayHearsAsync(channel);
            await _backend.TriggerAsync(channel, "start-round", new { round = 1 });
            lua.Answer("triggered-1");

            // 3. Bridge.trigger on roblox-sync reaches pusher-js.
            await lua.ExpectAsync("published");
            var roundOver = await dashboard.NextEventAsync("roblox-sync", "round-over", LongStep);
            Assert.Equal(jobId, (string?)roundOver["data"]!["from"]!["id"]);
            lua.Answer("dashboard-received", new { data = roundOver["data"] });

            // 4. Players: presence members on presence-game-<gameId>.
            await lua.ExpectAsync("players-ready", LongStep);
            presence = await SignedInDashboardAsync();
            var presenceChannel = "presence-game-" + gameId;
            Assert.Equal("subscribed", (string?)(await presence.SubscribeAsync(presenceChannel))["type"]);
            lua.Answer("dashboard-watching");
            await lua.ExpectAsync("players-joined", LongStep);
            var alice = await MemberAsync(presence, "member_added", presenceChannel, "alice_e2e");
            var bob = await MemberAsync(presence, "member_added", presenceChannel, "bob_e2e");
            Assert.Equal(jobId, (string?)alice["info"]!["jobId"]);
            Assert.Equal("Alice", (string?)alice["info"]!["displayName"]);
            lua.Answer("dashboard-saw-players");
            await lua.ExpectAsync("player-left", LongStep);
            await presence.WaitForAsync(m => (string?)m["type"] == "member_removed" && (string?)m["channel"] == presenceChannel &&
                                             (string?)m["id"] == (string?)bob["id"], Step, "bob to leave the presence channel");
            lua.Answer("dashboard-saw-player-leave");

            // 5. The relay restarts while the module polls and publishes.
            await lua.ExpectAsync("restart-relay");
            await StopRelayAsync(channel);
            lua.Answer("relay-down");
            await lua.ExpectAsync("saw-relay-down", LongStep);
            await StartRelayAsync(channel);
            await _backend.TriggerAsync(channel, "start-round", new { round = 2 });
            lua.Answer("relay-up");
            await lua.ExpectAsync("published-while-down", LongStep);
            await dashboard.NextEventAsync("roblox-sync", "while-down", LongStep);
            {
                // The relay's player connections went with it; the module reported again at once,
                // so alice is back (and bob, who left, is not).
                int Count(string type, string name) => presence.Messages.Count(m => (string?)m["type"] == type &&
                    (string?)m["channel"] == presenceChannel && (string?)m["info"]?["name"] == name);
                await Wait.UntilAsync(() => Task.FromResult(Count("member_removed", "alice_e2e") >= 1 && Count("member_added", "alice_e2e") >= 2),
                    LongStep, "alice to leave with the stopped relay and be a member again after the restart");
                Assert.Equal(1, Count("member_added", "bob_e2e"));
            }
            lua.Answer("dashboard-received-while-down");

            // 6. BindToClose: queued events sent, session ended (the spec checks its token is refused).
            await lua.ExpectAsync("closed", LongStep);
            await dashboard.NextEventAsync("roblox-sync", "closing", LongStep);
            // "closing" was published after "while-down" on the same channel: a repeat of it would be here by now.
            Assert.Single(dashboard.Events, e => (string?)e["channel"] == "roblox-sync" && (string?)e["event"] == "while-down");
            lua.Answer("dashboard-received-closing");

            var result = await lua.FinishAsync();
            output.WriteLine(result.Tap);
            Assert.Equal(0, result.Failed);
            Assert.Equal((6, 0), (result.Passed, result.Skipped));
        }
        finally
        {
            if (presence is not null) await presence.DisposeAsync();
        }
    }

    /// <summary>
    /// pusher-js as the dashboard: the relay's auth endpoints with the educator's JWT, signed in at once,
    /// because the test soketi (like Pusher with user authentication on) closes a connection that has
    /// not signed in within 30 s (4009), and these flows take longer than that.
    /// </summary>
    private async Task<PusherJsClient> SignedInDashboardAsync()
    {
        var dashboard = await PusherJsClient.ConnectAsync(PusherJsOptions.For(_soketi, _relay.BaseUrl + "/api/v1/pusher/auth", _jwt));
        try
        {
            await dashboard.SignInAsync();
            return dashboard;
        }
        catch
        {
            await dashboard.DisposeAsync();
            throw;
        }
    }

    private static async Task<JObject> MemberAsync(PusherJsClient presence, string type, string channel, string name) =>
        await presence.WaitForAsync(m => (string?)m["type"] == type && (string?)m["channel"] == channel &&
                                         (string?)m["info"]?["name"] == name, Step, $"{name}: {type} on {channel}");

    /// <summary>The relay's subscription to <paramref name="channel"/> is live on soketi (nothing else subscribes to it here).</summary>
    private Task WaitUntilRelayHearsAsync(string channel) =>
        Wait.UntilAsync(async () => (await _backend.GetChannelAsync(channel)).Occupied, Step, $"the relay to subscribe to {channel}");

    /// <summary>Stops the relay (SIGTERM) and waits until soketi has dropped its subscription.</summary>
    private async Task StopRelayAsync(string channel)
    {
        await _relay.StopAsync();
        Assert.True(_relay.HasExited);
        await Wait.UntilAsync(async () => !(await _backend.GetChannelAsync(channel)).Occupied, Step, $"soketi to see the relay leave {channel}");
    }

    /// <summary>Starts the relay again (same port, same database) and waits until it hears <paramref name="channel"/> again.</summary>
    private async Task StartRelayAsync(string channel)
    {
        await _relay.StartAgainAsync();
        await WaitUntilRelayHearsAsync(channel);
    }

    /// <summary>Waits until the inbox holds a notification <paramref name="message"/> after <paramref name="after"/> (acknowledging nothing new).</summary>
    private async Task WaitUntilStoredAsync(string basePath, string token, long after, string message)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_relay.BaseUrl) }.WithBearer(token);
        await Wait.UntilAsync(async () =>
        {
            var (status, body) = await http.GetJsonAsync($"{basePath}/events?after={after}&wait=2");
            return status == HttpStatusCode.OK && body["events"]!.Any(e => (string?)e["data"]?["message"] == message);
        }, Step, $"'{message}' to be stored in the inbox");
    }

    /// <summary>pusher-js received <paramref name="eventName"/> on roblox-sync, and only once.</summary>
    private static async Task AssertPublishedOnceAsync(PusherJsClient dashboard, string eventName)
    {
        await dashboard.NextEventAsync("roblox-sync", eventName, TimeSpan.FromSeconds(30));
        await Task.Delay(1000); // a duplicate would arrive by now
        Assert.Single(dashboard.Events, e => (string?)e["channel"] == "roblox-sync" && (string?)e["event"] == eventName);
    }

    public async Task DisposeAsync()
    {
        _backend?.Dispose();
        if (_relay is not null) await _relay.DisposeAsync();
        if (_soketi is not null) await _soketi.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
