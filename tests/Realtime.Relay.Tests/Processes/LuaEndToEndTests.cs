using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Pusher;
using Realtime.Pusher.Rest;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;
using Xunit.Abstractions;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// The Roblox side end to end under Lune against the relay as a real process and a real soketi,
/// each loaded from the model the relay serves, with production waits and HttpService over TCP:
/// the Studio plugin (roblox-plugin/e2e/Plugin.e2e.luau runs the model's Script with Studio
/// stand-ins) and the game-server module (GameServer.e2e.luau). This class plays everyone else:
/// the educator (approves pairings with a JWT), the backend (triggers to the client's channels),
/// the dashboard (pusher-js on roblox-sync and presence-game-*), and the operator who restarts
/// the relay. Each test gets its own soketi, relay and database.
/// </summary>
public sealed class LuaEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(20);
    /// <summary>For the Lune flows, which run with production waits (20 s long-polls, backoff up to 60 s).</summary>
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
    public async Task The_studio_plugin_from_the_served_model_pairs_hears_the_backend_shows_content_progress_inserts_content_publishes_survives_a_relay_restart_resumes_after_studio_reopens_and_unpairs()
    {
        var backend = new PusherNodeBackend(_soketi); // the platform backend: the official pusher Node SDK
        using var educator = new HttpClient { BaseAddress = new Uri(_relay.BaseUrl) }.WithBearer(_jwt);
        // The plugin's place (GameId 4243) names its game when pairing: its approver must own it.
        var (gameCreated, game, _) = await educator.PostJsonAsync("/api/v1/games", new { gameId = "4243", name = "E2E plugin's game" });
        Assert.True(gameCreated == HttpStatusCode.Created, game.ToString());
        await using var dashboard = await SignedInDashboardAsync();
        Assert.Equal("subscribed", (string?)(await dashboard.SubscribeAsync("roblox-sync"))["type"]);
        await using var lua = LuaSpecProcess.StartLune("e2e/Plugin.e2e.luau", _dir, new Dictionary<string, string?>
        {
            ["RELAY_URL"] = _relay.BaseUrl,
        });

        // 1. Pairing: the panel shows a code; the educator looks it up and approves it on the relay.
        var userCode = (string)(await lua.ExpectAsync("code-shown", LongStep))["userCode"]!;
        var (lookedUp, pending) = await educator.GetJsonAsync("/api/v1/pairings/" + userCode);
        Assert.True(lookedUp == HttpStatusCode.OK, pending.ToString());
        Assert.Equal((4242L, "4243", 1234L), ((long)pending["placeId"]!, (string?)pending["gameId"], (long)pending["studioUserId"]!));
        var (approved, approval, _) = await educator.PostJsonAsync("/api/v1/pairings/approve", new { userCode });
        Assert.True(approved == HttpStatusCode.OK, approval.ToString());
        lua.Answer("approved", new { pluginId = (string)approval["pluginId"]! });
        var paired = await lua.ExpectAsync("paired", LongStep);
        var pluginId = (string)paired["pluginId"]!;
        var channel = (string)paired["channel"]!;
        Assert.Equal("private-plugin-" + pluginId, channel);

        // 2. The backend triggers to the plugin's channel, exactly as before the relay existed.
        await WaitUntilRelayHearsAsync(channel);
        await backend.TriggerAsync(channel, "notification", new { message = "hello 1", level = "info" });
        lua.Answer("triggered-1", new { message = "hello 1" });

        // 3. A content-generation job: announced on the plugin's channel, progress on its own channel.
        const string sessionId = "lesson-42";
        await backend.TriggerAsync(channel, "content-generation-started", new { session_id = sessionId });
        lua.Answer("generation-started", new { sessionId });
        var following = (string)(await lua.ExpectAsync("following", LongStep))["channel"]!;
        Assert.Equal("content-generation-" + sessionId, following);
        await WaitUntilRelayHearsAsync(following);
        await backend.TriggerAsync(following, "progress", new { status = "running", progress = 40, message = "Writing questions" });
        lua.Answer("progress-1", new { progress = 40, message = "Writing questions" });
        await lua.ExpectAsync("progress-shown", LongStep);
        await backend.TriggerAsync(following, "progress", new { status = "complete", progress = 100, content_id = "c-42", message = "Ready" });
        lua.Answer("progress-2", new { message = "Ready" });
        await lua.ExpectAsync("progress-done", LongStep);

        // 4. The backend sends generated content to insert.
        const string source = "print('volcano quiz')";
        await backend.TriggerAsync(channel, "insert-content", new
        {
            title = "Volcano quiz",
            parent = "ServerScriptService",
            instances = new[]
            {
                new
                {
                    className = "Folder", name = "VolcanoQuiz",
                    children = new object[]
                    {
                        new { className = "Script", name = "QuizServer", source },
                        new { className = "ModuleScript", name = "Questions", source = "return {}" },
                    },
                },
            },
        });
        lua.Answer("insert-sent", new { title = "Volcano quiz", source });
        var inserted = (string)(await lua.ExpectAsync("inserted", LongStep))["path"]!;

        // 5. roblox-sync from the plugin reaches pusher-js, wrapped with its sender: the selection
        // (the inserted content) and the renamed place.
        var published = (string)(await lua.ExpectAsync("published", LongStep))["name"]!;
        var place = await dashboard.WaitForAsync(m => IsSync(m, "place-changed") && (string?)m["data"]!["data"]!["name"] == published,
            LongStep, $"place-changed '{published}' on roblox-sync");
        var selection = await dashboard.WaitForAsync(m => IsSync(m, "selection-changed") &&
            m["data"]!["data"]!.ToString().Contains(inserted, StringComparison.Ordinal), LongStep, $"selection-changed with {inserted}");
        lua.Answer("dashboard-received", new { place = place["data"], selection = selection["data"] });

        // 6. The relay restarts (same database) while the plugin listens; it keeps its token.
        await lua.ExpectAsync("restart-relay", LongStep);
        await StopRelayAsync(channel);
        lua.Answer("relay-down");
        await lua.ExpectAsync("saw-relay-down", LongStep);
        await StartRelayAsync(channel);
        await backend.TriggerAsync(channel, "notification", new { message = "hello 2" });
        lua.Answer("relay-up", new { message = "hello 2" });
        var renamed = (string)(await lua.ExpectAsync("published-after-restart", LongStep))["name"]!;
        await dashboard.WaitForAsync(m => IsSync(m, "place-changed") && (string?)m["data"]!["data"]!["name"] == renamed,
            LongStep, $"place-changed '{renamed}' after the restart");
        lua.Answer("dashboard-received-after-restart");

        // 7. Studio closed: an event arrives meanwhile; Studio opens again and hears it, then a live one.
        await lua.ExpectAsync("studio-closed", LongStep);
        await backend.TriggerAsync(channel, "notification", new { message = "hello 3" });
        lua.Answer("triggered-while-closed", new { message = "hello 3" });
        await lua.ExpectAsync("reopened", LongStep);
        await backend.TriggerAsync(channel, "notification", new { message = "hello 4" });
        lua.Answer("triggered-after-reopen", new { message = "hello 4" });

        // 8. Unpaired: the educator's plugin list no longer has it.
        await lua.ExpectAsync("unpaired", LongStep);
        var (listed, plugins) = await educator.GetJsonAsync("/api/v1/plugins");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.DoesNotContain(plugins["plugins"]!, p => (string?)p["pluginId"] == pluginId);
        lua.Answer("dashboard-saw-unpair");

        var result = await lua.FinishAsync();
        output.WriteLine(result.Tap);
        Assert.Equal(0, result.Failed);
        Assert.Equal((10, 0), (result.Passed, result.Skipped));
        // Published once: a repeat of the first rename would have arrived before the events that followed it.
        Assert.Single(dashboard.Events, e => IsSync(e, "place-changed") && (string?)e["data"]!["data"]!["name"] == published);
    }

    private static bool IsSync(JObject message, string eventName) =>
        (string?)message["type"] == "event" && (string?)message["channel"] == "roblox-sync" && (string?)message["event"] == eventName;

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

    public async Task DisposeAsync()
    {
        _backend?.Dispose();
        if (_relay is not null) await _relay.DisposeAsync();
        if (_soketi is not null) await _soketi.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
