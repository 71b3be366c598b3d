using System.Diagnostics;
using Realtime.Relay.Tests.Processes;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// A rolling restart as operators run it (docs/cluster.md, "Restarts" and "A clean stop"): redis-server, soketi, two
/// relay processes with stable <c>RELAY_NODE_ID</c>s behind the haproxy front of <c>make dev-cluster</c>, plugins
/// long-polling through it while the official Node SDK publishes rounds to their channels. Each node in turn is
/// stopped with SIGTERM (it hands its channels to the other) and started again (it finds them heard by the other).
/// No client may hear <c>relay:gap</c>, miss a round or get one twice; a round published after both restarts and
/// delivered to every client proves nothing is late.
/// </summary>
public sealed class RollingRestartProcessTests(ITestOutputHelper output)
{
    private const int Plugins = 20;

    [Fact]
    public async Task Restarting_each_node_in_turn_with_sigterm_loses_repeats_and_gaps_nothing()
    {
        var run = Stopwatch.StartNew();
        var lbPort = HaproxyServer.NextPort();
        var lbUrl = $"http://127.0.0.1:{lbPort}";
        await using var redis = await RedisServer.StartAsync();
        await using var soketi = await SoketiServer.StartAsync();
        var nodes = new List<RelayProcess>();
        using var stop = new CancellationTokenSource();
        var work = new List<Task>();
        try
        {
            foreach (var id in new[] { "node-1", "node-2" })
                nodes.Add(await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, NodeEnvironment(soketi, redis, id, lbUrl)));
            await using var lb = await HaproxyServer.StartAsync(lbPort, nodes.Select(n => n.Port).ToList());
            await using var redisClient = await ConnectionMultiplexer.ConnectAsync(redis.ConfigurationString);

            var clients = new List<ClusterClient>();
            for (var i = 1; i <= Plugins; i++)
            {
                var p = await PairedPlugin.PairAsync(lbUrl);
                clients.Add(new ClusterClient("plugin-" + i, p.BasePath, p.Token, p.Channel, lbUrl));
            }
            var channels = clients.Select(c => c.Channel).Distinct().ToList();
            work.AddRange(clients.Select(c => c.PollAsync(stop.Token)));
            await UntilBothOwnAsync(redisClient, channels, "every channel owned, by both nodes");
            using var backend = PusherNodeRounds.Start(soketi, channels, "tick");
            await backend.UntilRoundAsync(3, "three rounds");
            var before = backend.Round;
            await Task.WhenAll(clients.Select(c => c.UntilRoundAsync(before, stop.Token))).WaitAsync(Patience.Bulk);
            var gapsBefore = clients.ToDictionary(c => c.Name, c => c.Gaps);

            foreach (var node in nodes)
            {
                var id = node.Environment["RELAY_NODE_ID"]!;
                var stopping = Stopwatch.StartNew();
                await node.StopAsync(); // SIGTERM
                Assert.True(node.ExitCode == 0, $"{id} did not stop cleanly on SIGTERM (exit code {node.ExitCode}):\n{node.RecentOutput}");
                var owners = await OwnersAsync(redisClient, channels);
                output.WriteLine($"{id} stopped in {stopping.Elapsed.TotalSeconds:0.0} s; {owners.Count(o => o.Value != id)} of {channels.Count} channels owned by the other node");
                Assert.DoesNotContain(owners, o => o.Value == id);
                await node.StartAgainAsync();
                await UntilBothOwnAsync(redisClient, channels, $"{id} back and owning its share again");
            }

            // The marker: a round published after both restarts, delivered to every client. Anything lost or repeated
            // across the restarts would be before it.
            var marker = backend.Round + 1;
            await Task.WhenAll(clients.Select(c => c.UntilRoundAsync(marker, stop.Token))).WaitAsync(Patience.Bulk);
            await backend.StopAsync();
            stop.Cancel();
            await Task.WhenAll(work.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

            Assert.Empty(clients.SelectMany(c => c.Violations));
            foreach (var c in clients)
            {
                var rounds = c.Rounds;
                Assert.True(rounds.Count == rounds.Distinct().Count(), $"{c.Name} was delivered a round twice: {string.Join(',', rounds)}");
                var missed = Enumerable.Range(1, marker).Select(r => (long)r).Except(rounds).ToList();
                Assert.True(missed.Count == 0, $"{c.Name} missed rounds {string.Join(',', missed)}");
                Assert.True(c.Gaps == gapsBefore[c.Name], $"{c.Name} heard {c.Gaps - gapsBefore[c.Name]} relay:gap during the rolling restart");
            }
            output.WriteLine($"{marker} rounds to {channels.Count} channels, every one delivered once, no relay:gap; whole run {run.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            stop.Cancel();
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    private static async Task UntilBothOwnAsync(IConnectionMultiplexer redis, IReadOnlyList<string> channels, string what) =>
        await Wait.UntilAsync(async () =>
        {
            var owners = await OwnersAsync(redis, channels);
            return owners.Count == channels.Count && owners.Values.Distinct().Count() == 2;
        }, Patience.Bulk, what);

    private static async Task<Dictionary<string, string>> OwnersAsync(IConnectionMultiplexer redis, IReadOnlyList<string> channels)
    {
        var db = redis.GetDatabase();
        var owners = new Dictionary<string, string>();
        foreach (var channel in channels)
        {
            var owner = await db.StringGetAsync("relay:cluster:channel:" + channel);
            if (owner.HasValue) owners[channel] = owner!;
        }
        return owners;
    }

    private static Dictionary<string, string?> NodeEnvironment(SoketiServer soketi, RedisServer redis, string nodeId, string lbUrl)
    {
        var env = RelayProcess.RedisNodeEnvironment(soketi, redis, nodeId, frontUrl: lbUrl);
        env["Cluster__RenewSeconds"] = "1"; // as the cluster test: rounds every second, so a hand-over takes about two
        // The stop budget with a margin for a loaded two-core machine (default 6 s), inside the 10 s RelayProcess.StopAsync
        // gives SIGTERM before it kills: the hand-over ends as soon as every channel has moved (2-4 s measured).
        env["Cluster__StopHandOverSeconds"] = "8";
        return env;
    }
}
