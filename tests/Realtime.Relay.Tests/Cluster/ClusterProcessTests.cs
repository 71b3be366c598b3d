using System.Diagnostics;
using System.Net;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Cluster.Redis;
using Realtime.Relay.Tests.Processes;
using Realtime.Relay.Tests.Support;
using Realtime.Pusher.Validation;
using Realtime.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// The cluster as it runs (docs/cluster.md): a real redis-server (append-only, fsync always),
/// soketi, three relay processes on that Redis and the haproxy front of <c>make dev-cluster</c>
/// (deploy/haproxy-cluster.cfg.template). 200 Roblox clients whose every request goes through
/// haproxy round-robin, backend triggers by the official Node SDK, a pusher-js dashboard on the
/// presence channels. One node is killed (SIGKILL) mid-traffic, later redis-server is.
/// </summary>
public sealed class ClusterProcessTests(ITestOutputHelper output)
{
    private const int Plugins = 150, Games = 10, ServersPerGame = 5, PlayersPerServer = 2;
    // docs/cluster.md: a dead node's channels are taken within LeaseSeconds + RenewSeconds and its players are back
    // within PresenceLeaseSeconds + RenewSeconds. This test asserts that it happens and prints how long it took; the
    // time itself is a figure of `make bench BENCH_ARGS=failover`, not an assertion (tests assert behaviour, and a
    // loaded CI machine stretches rounds).
    private static readonly TimeSpan ChannelTakeoverBound = TimeSpan.FromSeconds(10), SilenceWindow = TimeSpan.FromSeconds(45);

    [Fact]
    public Task A_node_killed_mid_traffic_loses_and_repeats_nothing_and_its_channels_and_players_are_taken_over() => RunClusterAsync(restartRedis: false);

    // This test found the cluster's background rounds ending for good when a store call failed while Redis restarted
    // (Cluster/ClusterRoundFailure.cs): afterwards some inboxes were never delivered another event.
    [Fact]
    public Task A_redis_restart_after_a_node_kill_loses_nothing_acknowledged_and_delivery_resumes() => RunClusterAsync(restartRedis: true);

    private async Task RunClusterAsync(bool restartRedis)
    {
        var run = Stopwatch.StartNew();
        var lbPort = HaproxyServer.NextPort();
        var lbUrl = $"http://127.0.0.1:{lbPort}";
        await using var redis = await RedisServer.StartAsync();
        await using var soketi = await SoketiServer.StartAsync(new SoketiSettings
        {
            WebhooksJson = JsonConvert.SerializeObject(new[] { new { url = lbUrl + "/api/v1/pusher/webhooks", event_types = new[] { "channel_occupied", "channel_vacated" } } }),
        });
        var nodes = new List<RelayProcess>();
        try
        {
            foreach (var id in new[] { "node-1", "node-2", "node-3" })
                nodes.Add(await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, NodeEnvironment(soketi, redis, id, lbUrl)));
            await using var lb = await HaproxyServer.StartAsync(lbPort, nodes.Select(n => n.Port).ToList());
            await RunAsync(lbUrl, soketi, redis, nodes, restartRedis);
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
        output.WriteLine($"whole run {run.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task RunAsync(string lbUrl, SoketiServer soketi, RedisServer redis, List<RelayProcess> nodes, bool restartRedis)
    {
        using var stop = new CancellationTokenSource();
        var clients = await ConnectClientsAsync(lbUrl);
        var gameServers = clients.Where(c => c.GameId is not null).ToList();
        output.WriteLine($"{clients.Count} clients: {clients.Count - gameServers.Count} plugins, {gameServers.Count} game servers in {Games} games");

        await using var dashboard = await PusherJsClient.ConnectAsync(PusherJsOptions.For(soketi, lbUrl + "/api/v1/pusher/auth", TestJwt.For("dash", "educator")));
        var games = gameServers.Select(g => g.GameId!).Distinct().ToList();
        foreach (var g in games) Assert.Equal("subscribed", (string?)(await dashboard.SubscribeAsync("presence-game-" + g))["type"]);

        await using var redisClient = await ConnectionMultiplexer.ConnectAsync(redis.ConfigurationString + ",abortConnect=false");
        var work = clients.Select(c => c.PollAsync(stop.Token)).Concat(gameServers.Select(g => g.ReportPlayersAsync(stop.Token))).ToList();
        var triggers = gameServers.Select(g => TriggerLoopAsync(g, stop.Token)).ToList();
        await Wait.UntilAsync(() => Task.FromResult(games.All(g => PlayersSeen(dashboard, g).Count == ServersPerGame * PlayersPerServer)),
            Patience.Step, "the dashboard to see every game server's players").WaitAsync(Patience.Bulk).ContinueWith(t =>
            {
                if (t.IsFaulted) throw new TimeoutException(string.Join('\n', games.Select(g => $"{g}: {PlayersSeen(dashboard, g).Count} players")) + "\n"
                    + string.Join('\n', dashboard.Messages.Where(m => (string?)m["type"] is "member_added" or "member_removed").TakeLast(40).Select(m => m.ToString(Formatting.None))) + "\n"
                    + string.Join('\n', gameServers.Select(s => $"{s.Name} held by {redisClient.GetDatabase().StringGet("relay:cluster:presence:" + s.BasePathInbox + "@" + s.GameId)}: {PlayersSeen(dashboard, s.GameId!).Count(p => s.Players.Any(q => p.EndsWith(q.ToString())))} seen")), t.Exception);
            });

        await Wait.UntilAsync(async () => (await OwnersAsync(redisClient, clients)).Count == clients.Select(c => c.Channel).Distinct().Count(),
            Patience.Bulk, "every client channel to be owned by a node");
        using var backend = PusherNodeRounds.Start(soketi, clients.Select(c => c.Channel).Distinct().ToList(), "tick");

        // Before the kill: a round every client has been delivered (so it reached every inbox).
        await backend.UntilRoundAsync(3, "three rounds");
        var beforeKill = backend.Round;
        await Task.WhenAll(clients.Select(c => c.UntilRoundAsync(beforeKill, stop.Token))).WaitAsync(Patience.Bulk);

        // Orphaned means owned by the victim when it dies. A channel in a hand-over (offered by its owner, shares still
        // evening out after start) may move to its taker without a gap, before or even after the kill (the taker's
        // compare-and-set finds the lease still the victim's), so the snapshot is taken once no channel is offered.
        await Wait.UntilAsync(async () => (await OffersAsync(redisClient, clients)).Count == 0, Patience.Bulk, "no channel offered for hand-over");
        var owners = await OwnersAsync(redisClient, clients);
        var victim = nodes[0];
        var victimId = victim.Environment["RELAY_NODE_ID"]!;
        var orphaned = owners.Where(o => o.Value == victimId).Select(o => o.Key).ToHashSet();
        Assert.NotEmpty(orphaned); // the kill must take channels with it, or the test shows nothing
        var membersMark = dashboard.MessageCount;
        var killedAt = Stopwatch.StartNew();
        victim.Kill();

        await Wait.UntilAsync(async () =>
        {
            var now = await OwnersAsync(redisClient, clients);
            return orphaned.All(ch => now.TryGetValue(ch, out var o) && o != victimId);
        }, Patience.Step, "the dead node's channels to be owned by live nodes");
        var channelsTaken = killedAt.Elapsed;
        await Wait.UntilAsync(() => Task.FromResult(games.All(g => PlayersSeen(dashboard, g).Count == ServersPerGame * PlayersPerServer)
                && dashboard.Messages.Skip(membersMark).Any(m => (string?)m["type"] == "member_added")),
            Patience.Step, "the dead node's players to be back on the dashboard");
        var playersBack = killedAt.Elapsed;
        var removed = dashboard.Messages.Skip(membersMark).Count(m => (string?)m["type"] == "member_removed");
        output.WriteLine($"{orphaned.Count} of {owners.Count} channels re-owned after {channelsTaken.TotalSeconds:0.0} s; {removed} players dropped with the node, all back after {playersBack.TotalSeconds:0.0} s");
        output.WriteLine(channelsTaken < ChannelTakeoverBound ? "channels re-owned within 10 s" : "channels re-owned AFTER 10 s (a loaded machine?)");
        output.WriteLine(playersBack < SilenceWindow ? "players back within the 45 s silence window" : "players back AFTER the 45 s silence window (a loaded machine?)");

        var afterKill = backend.Round + 1;
        await Task.WhenAll(clients.Select(c => c.UntilRoundAsync(afterKill, stop.Token))).WaitAsync(Patience.Bulk);

        var lastChecked = afterKill;
        if (restartRedis)
        {
            // redis-server killed (SIGKILL) and started again: what it acknowledged is on disk, and delivery resumes.
            var beforeRedis = backend.Round;
            await Task.WhenAll(clients.Select(c => c.UntilRoundAsync(beforeRedis, stop.Token))).WaitAsync(Patience.Bulk);
            await redis.RestartAsync();
            lastChecked = backend.Round + 1;
            await Task.WhenAll(clients.Select(c => c.UntilRoundAsync(lastChecked, stop.Token))).WaitAsync(Patience.Bulk);
        }
        var lastRound = await backend.StopAsync();

        // Every trigger answered 202 reaches the dashboard once: wait for each sender's last one
        // (acceptance order is kept per sender), then a marker after it proves no late repeat.
        stop.Cancel();
        await Task.WhenAll(triggers.Concat(work).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        foreach (var g in gameServers) await g.TriggerUntilAcceptedAsync(g.Name + "-marker", CancellationToken.None);
        var markers = gameServers.Select(g => g.Name + "-marker").ToHashSet();
        await Wait.UntilAsync(() => Task.FromResult(markers.IsSubsetOf(ScoreIds(dashboard))), Patience.Step, "every sender's marker on the dashboard");
        var published = ScoreIds(dashboard);
        var accepted = gameServers.SelectMany(g => g.Accepted).ToList();
        var twice = published.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var missing = accepted.Except(published).ToList();
        output.WriteLine($"{lastRound} backend rounds to {clients.Select(c => c.Channel).Distinct().Count()} channels; {accepted.Count} triggers answered 202, {published.Count} published, {twice.Count} twice, {missing.Count} missing");

        Assert.Empty(clients.SelectMany(c => c.Violations));
        foreach (var c in clients)
        {
            var rounds = c.Rounds;
            Assert.True(rounds.Count == rounds.Distinct().Count(), $"{c.Name} was delivered a round twice: {string.Join(',', rounds)}");
            var lost = Enumerable.Range(1, (int)beforeKill).Select(r => (long)r).Except(rounds).ToList();
            Assert.True(lost.Count == 0, $"{c.Name} lost rounds {string.Join(',', lost)} that had reached its inbox before the kill");
            var missed = Enumerable.Range(1, lastChecked).Select(r => (long)r).Except(rounds).ToList();
            Assert.True(missed.Count == 0 || c.Gaps > 0, $"{c.Name} missed rounds {string.Join(',', missed)} without a relay:gap");
        }
        Assert.All(clients.Where(c => orphaned.Contains(c.Channel)), c => Assert.True(c.Gaps > 0, $"{c.Name}'s channel was re-owned without a relay:gap"));
        Assert.Empty(missing);
        // The one repeat a kill -9 may cause (docs/cluster.md, "Outbox"): the batch the killed node had in flight, if Pusher
        // accepted it and the node died before storing that, is published again by the next claim holder. Pusher's HTTP
        // API has no idempotency key, so no relay can close that window; anything beyond one batch is a defect.
        Assert.True(twice.Count <= PusherLimits.MaxEventsPerBatch,
            $"{twice.Count} triggers published twice, more than the one batch a kill may repeat: {string.Join(',', twice)}");
    }

    private static async Task TriggerLoopAsync(ClusterClient server, CancellationToken stop)
    {
        for (var n = 1; !stop.IsCancellationRequested; n++)
        {
            await server.TriggerUntilAcceptedAsync($"{server.Name}-{n}", stop);
            await Task.Delay(TimeSpan.FromSeconds(1), stop).ContinueWith(_ => { }, TaskScheduler.Default); // a game's pace, not a wait
        }
    }

    private static List<string> ScoreIds(PusherJsClient dashboard) =>
        dashboard.Events.Where(e => (string?)e["event"] == "score").Select(e => (string)e["data"]!["data"]!["tid"]!).ToList();

    /// <summary>The players pusher-js shows as members of presence-game-<paramref name="gameId"/> now.</summary>
    private static HashSet<string> PlayersSeen(PusherJsClient dashboard, string gameId)
    {
        var channel = "presence-game-" + gameId;
        var members = new HashSet<string>();
        foreach (var m in dashboard.Messages.Where(m => (string?)m["channel"] == channel))
        {
            switch ((string?)m["type"])
            {
                case "subscribed":
                    foreach (var member in m["members"] as JArray ?? new JArray()) if (member["info"]?["jobId"] is not null) members.Add((string)member["id"]!);
                    break;
                case "member_added" when (m["info"]?["jobId"] is not null): members.Add((string)m["id"]!); break;
                case "member_removed": members.Remove((string)m["id"]!); break;
            }
        }
        return members;
    }

    private static async Task<Dictionary<string, string>> OwnersAsync(IConnectionMultiplexer redis, IEnumerable<ClusterClient> clients)
    {
        var db = redis.GetDatabase();
        var owners = new Dictionary<string, string>();
        foreach (var channel in clients.Select(c => c.Channel).Distinct())
        {
            var owner = await db.StringGetAsync("relay:cluster:channel:" + channel);
            if (owner.HasValue) owners[channel] = owner!;
        }
        return owners;
    }

    /// <summary>The client channels whose owner offers them for hand-over now (docs/cluster.md, "Hand-over without loss").</summary>
    private static async Task<List<string>> OffersAsync(IConnectionMultiplexer redis, IEnumerable<ClusterClient> clients)
    {
        var db = redis.GetDatabase();
        var offered = new List<string>();
        foreach (var channel in clients.Select(c => c.Channel).Distinct())
            if (await db.KeyExistsAsync(RedisKeys.ChannelOffer(channel))) offered.Add(channel);
        return offered;
    }

    private async Task<List<ClusterClient>> ConnectClientsAsync(string lbUrl)
    {
        using var gate = new SemaphoreSlim(8);
        async Task<T> Limited<T>(Func<Task<T>> f)
        {
            await gate.WaitAsync();
            try { return await f(); } finally { gate.Release(); }
        }
        var plugins = Enumerable.Range(1, Plugins).Select(i => Limited(async () =>
        {
            var p = await PairedPlugin.PairAsync(lbUrl);
            return new ClusterClient("plugin-" + i, p.BasePath, p.Token, p.Channel, lbUrl);
        }));
        using var educator = new HttpClient { BaseAddress = new Uri(lbUrl) }.WithBearer(TestJwt.For("cluster-teacher", "educator"));
        var servers = new List<Task<ClusterClient>>();
        for (var g = 1; g <= Games; g++)
        {
            var gameId = "cluster-game-" + g;
            var (created, game, _) = await educator.PostJsonAsync("/api/v1/games", new { gameId, name = gameId });
            Assert.Equal(HttpStatusCode.Created, created);
            for (var s = 1; s <= ServersPerGame; s++)
            {
                var jobId = $"job-{g}-{s}";
                var players = Enumerable.Range(1, PlayersPerServer).Select(p => 100000L + g * 1000 + s * 10 + p).ToList(); // unique Roblox user ids
                servers.Add(Limited(async () =>
                {
                    using var http = new HttpClient { BaseAddress = new Uri(lbUrl) }.WithBearer((string)game["serverKey"]!);
                    var (registered, session, _) = await http.PostJsonAsync($"/api/v1/games/{gameId}/servers", new { jobId, placeId = 7 });
                    Assert.Equal(HttpStatusCode.Created, registered);
                    return new ClusterClient(jobId, $"/api/v1/games/{gameId}/servers/{jobId}", (string)session["accessToken"]!, "private-game-" + gameId, lbUrl)
                    {
                        GameId = gameId,
                        Players = players,
                    };
                }));
            }
        }
        return (await Task.WhenAll(plugins.Concat(servers))).ToList();
    }

    private static Dictionary<string, string?> NodeEnvironment(SoketiServer soketi, RedisServer redis, string nodeId, string lbUrl)
    {
        var env = RelayProcess.RedisNodeEnvironment(soketi, redis, nodeId, frontUrl: lbUrl);
        // A round every second (default 2): a dead node's channels are free after the 6 s lease and taken at a
        // survivor's next round, so the issue's 10 s bound holds on a loaded two-core machine (docs/cluster.md).
        // Shorter leases (4 s) were tried: under this load a live node's lease then lapses (see docs/cluster.md).
        env["Cluster__RenewSeconds"] = "1";
        return env;
    }
}
