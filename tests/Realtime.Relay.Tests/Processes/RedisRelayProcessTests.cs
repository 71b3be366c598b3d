using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Processes;

/// <summary>A real soketi, a real redis-server and the relay process on it (RELAY_STORE=redis), shared by a test class.</summary>
public sealed class SoketiRedisAndRelay : IAsyncLifetime
{
    public SoketiServer Soketi { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public RelayProcess Relay { get; private set; } = null!;

    /// <summary>The environment of a relay node on this Redis (its LiteDB path is set but never opened).</summary>
    public Dictionary<string, string?> NodeEnvironment(string nodeId) => RelayProcess.RedisNodeEnvironment(Soketi, Redis, nodeId);

    public async Task InitializeAsync()
    {
        Soketi = await SoketiServer.StartAsync();
        Redis = await RedisServer.StartAsync();
        Relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, NodeEnvironment("node-a"));
    }

    public async Task UntilPusherHasAsync(string channel)
    {
        using var rest = new Realtime.Pusher.Rest.PusherRestClient(Soketi.PusherOptions());
        await Wait.UntilAsync(async () => (await rest.GetChannelAsync(channel)).Occupied, Patience.Step, $"soketi to see {channel} occupied");
    }

    public async Task DisposeAsync()
    {
        if (Relay is not null) await Relay.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (Soketi is not null) await Soketi.DisposeAsync();
    }
}

/// <summary>
/// The relay as a process on Redis gives the answers it gives on LiteDB (the same flows as
/// <see cref="InboxProcessTests"/> and <see cref="PairingProcessTests"/>), and what it stores is in Redis.
/// </summary>
public sealed class RedisRelayProcessTests(SoketiRedisAndRelay env) : IClassFixture<SoketiRedisAndRelay>
{
    private HttpClient Http(string? bearer = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(env.Relay.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        return bearer is null ? http : http.WithBearer(bearer);
    }

    [Fact]
    public async Task On_redis_the_node_says_so_and_is_ready()
    {
        var info = JObject.Parse(await Http().GetStringAsync("/api/v1/info"));
        Assert.Equal(("redis", "node-a"), ((string?)info["store"], (string?)info["nodeId"]));
        var ready = JObject.Parse(await Http().GetStringAsync("/readyz"));
        Assert.True((bool)ready["checks"]!["redis"]!["ready"]!);
        Assert.Contains(env.Redis.ConfigurationString, (string?)ready["checks"]!["redis"]!["detail"]);
        Assert.Null(ready["checks"]!["litedb"]);
    }

    [Fact]
    public async Task A_paired_plugin_hears_a_backend_trigger_by_long_poll_and_its_inbox_is_in_redis()
    {
        var plugin = await PairedPlugin.PairAsync(env.Relay.BaseUrl);
        await env.UntilPusherHasAsync(plugin.Channel);
        await new PusherNodeBackend(env.Soketi).TriggerAsync(plugin.Channel, "content-ready", new { lesson = "Volcanoes" });

        using var http = plugin.Client(env.Relay.BaseUrl);
        var answer = await http.PollEventsAsync(plugin.BasePath);
        var e = Assert.Single((JArray)answer["events"]!);
        Assert.Equal((1L, plugin.Channel, "content-ready", "Volcanoes"), ((long)e["seq"]!, (string?)e["channel"], (string?)e["event"], (string?)e["data"]!["lesson"]));
        Assert.False((bool)answer["gap"]!);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(env.Redis.ConfigurationString);
        Assert.Equal(1, (long)await redis.GetDatabase().HashGetAsync("rb:{relay}:inbox:plugin:" + plugin.PluginId, "next") - 1);
    }

    [Fact]
    public async Task A_game_server_registers_hears_its_game_channel_and_ends_its_session()
    {
        var (created, game, _) = await Http(TestJwt.For("redis-teacher", "educator")).PostJsonAsync("/api/v1/games", new { gameId = "redis-game", name = "Redis game" });
        Assert.Equal(HttpStatusCode.Created, created);
        var (registered, session, _) = await Http((string)game["serverKey"]!).PostJsonAsync("/api/v1/games/redis-game/servers", new { jobId = "job-r", placeId = 7 });
        Assert.Equal(HttpStatusCode.Created, registered);
        var token = (string)session["accessToken"]!;

        await env.UntilPusherHasAsync("private-game-redis-game");
        await new PusherNodeBackend(env.Soketi).TriggerAsync("private-game-redis-game", "round-start", new { round = 1 });
        var answer = await Http(token).PollEventsAsync("/api/v1/games/redis-game/servers/job-r");
        var e = Assert.Single((JArray)answer["events"]!);
        Assert.Equal(("round-start", 1), ((string?)e["event"], (int)e["data"]!["round"]!));

        Assert.Equal(HttpStatusCode.NoContent, (await Http(token).DeleteAsync("/api/v1/games/redis-game/servers/job-r")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http(token).DeleteAsync("/api/v1/games/redis-game/servers/job-r")).StatusCode);
    }

    [Fact]
    public async Task A_node_killed_and_started_again_on_the_same_redis_delivers_what_was_stored_and_tells_the_gap()
    {
        // A Redis of its own: beside the class's node-a, whichever node took the channel's lease would decide whether
        // the restart owes a gap (node-a hearing it all along means none; docs/cluster.md, "Restarts"). Alone, it does.
        await using var redis = await RedisServer.StartAsync();
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, RelayProcess.RedisNodeEnvironment(env.Soketi, redis, "node-kill"));
        var plugin = await PairedPlugin.PairAsync(relay.BaseUrl);
        await env.UntilPusherHasAsync(plugin.Channel);
        var backend = new PusherNodeBackend(env.Soketi);
        using var http = plugin.Client(relay.BaseUrl);
        for (var i = 1; i <= 3; i++) await backend.TriggerAsync(plugin.Channel, "e" + i, new { i });
        var before = await http.PollEventsAsync(plugin.BasePath);
        while (((JArray)before["events"]!).Count < 3) before = await http.PollEventsAsync(plugin.BasePath); // all three stored
        await http.PollEventsAsync(plugin.BasePath, after: 2, wait: 0); // handled 1 and 2

        relay.Kill(); // SIGKILL: no shutdown code runs
        await relay.StartAgainAsync();

        var after = await http.PollEventsAsync(plugin.BasePath, after: 2, wait: 0);
        var events = ((JArray)after["events"]!).ToList();
        Assert.Equal(new[] { 3L }, events.Where(e => (string?)e["event"] != "relay:gap").Select(e => (long)e["seq"]!));
        Assert.Single(events, e => (string?)e["event"] == "relay:gap");
        var fromZero = await http.PollEventsAsync(plugin.BasePath, after: 0, wait: 0);
        Assert.DoesNotContain(((JArray)fromZero["events"]!).Select(e => (long)e["seq"]!), seq => seq <= 2);
    }

    [Fact]
    public async Task While_its_redis_is_down_a_node_answers_503_storage_unavailable_and_not_ready_and_recovers_when_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        var nodeEnv = env.NodeEnvironment("node-outage");
        nodeEnv["RELAY_REDIS"] = redis.ConfigurationString;
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, nodeEnv);
        using var http = new HttpClient { BaseAddress = new Uri(relay.BaseUrl) };
        async Task<HttpStatusCode> ReadyAsync() => (await http.GetAsync("/readyz")).StatusCode;
        await Wait.UntilAsync(async () => await ReadyAsync() == HttpStatusCode.OK, Patience.Step, "the node to be ready");

        redis.Kill();
        await Wait.UntilAsync(async () => await ReadyAsync() == HttpStatusCode.ServiceUnavailable, Patience.Step, "/readyz to say not ready");
        var (status, problem, _) = await http.PostJsonAsync("/api/v1/pairings", new { placeId = 1 });
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "storage_unavailable"), (status, (string?)problem["code"]));

        await redis.StartAgainAsync();
        await Wait.UntilAsync(async () => await ReadyAsync() == HttpStatusCode.OK, Patience.Step, "/readyz to say ready again");
        Assert.Equal(HttpStatusCode.Created, (await http.PostJsonAsync("/api/v1/pairings", new { placeId = 1 })).Item1);
    }
}
