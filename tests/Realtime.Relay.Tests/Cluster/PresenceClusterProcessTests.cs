using System.Net;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Processes;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// Presence in a cluster as it runs (docs/cluster.md, "Presence"): a real redis-server, soketi, three relay processes on
/// that Redis, a pusher-js dashboard on the game's presence channel. Each game server reports through its own node (which
/// then holds its players). The nodes run no round after their first one (RenewSeconds longer than any wait here), so
/// what reaches the dashboard comes from reports, nudges and the stop hand-over, never from a round.
/// </summary>
public sealed class PresenceClusterProcessTests
{
    private const string GameId = "presence-cluster";
    private const string Channel = "presence-game-" + GameId;

    private sealed record Server(string JobId, string Token);

    [Fact]
    public async Task Players_read_alike_on_every_node_reports_reach_their_holder_at_once_and_a_clean_stop_hands_players_over()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var soketi = await SoketiServer.StartAsync();
        var nodes = new List<RelayProcess>();
        try
        {
            foreach (var id in new[] { "node-1", "node-2", "node-3" })
                nodes.Add(await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, NodeEnvironment(soketi, redis, id)));
            await RunAsync(soketi, nodes);
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    private static async Task RunAsync(SoketiServer soketi, List<RelayProcess> nodes)
    {
        using var educator = new HttpClient { BaseAddress = new Uri(nodes[0].BaseUrl) }.WithBearer(TestJwt.For("presence-teacher", "educator"));
        var (created, game, _) = await educator.PostJsonAsync("/api/v1/games", new { gameId = GameId, name = GameId });
        Assert.Equal(HttpStatusCode.Created, created);
        var servers = new List<Server>();
        for (var i = 0; i < nodes.Count; i++)
        {
            using var http = new HttpClient { BaseAddress = new Uri(nodes[i].BaseUrl) }.WithBearer((string)game["serverKey"]!);
            var jobId = "job-" + (i + 1);
            var (registered, session, _) = await http.PostJsonAsync($"/api/v1/games/{GameId}/servers", new { jobId, placeId = 7 });
            Assert.Equal(HttpStatusCode.Created, registered);
            servers.Add(new Server(jobId, (string)session["accessToken"]!));
        }

        await using var dashboard = await PusherJsClient.ConnectAsync(PusherJsOptions.For(soketi, nodes[1].BaseUrl + "/api/v1/pusher/auth",
            TestJwt.For("dash", "educator")));
        Assert.Equal("subscribed", (string?)(await dashboard.SubscribeAsync(Channel))["type"]);

        // Server i reports through node i, which takes its lease: each node holds one reporter's players.
        for (var i = 0; i < nodes.Count; i++) await ReportAsync(nodes[i], servers[i], 10 * (i + 1) + 1, 10 * (i + 1) + 2);
        long[] all = [11, 12, 21, 22, 31, 32];
        foreach (var id in all) await SeenAsync(dashboard, "member_added", id);

        // 1. GET players: every node answers the whole game alike, from Redis (a node alone holds a third of it).
        await Wait.UntilAsync(async () => (await PlayersAsync(nodes[0])).Players.Count(p => (string?)p["pusher"] == "member") == all.Length,
            Patience.Step, "node-1 to show every player as a member");
        var answers = new List<string>();
        foreach (var node in nodes) answers.Add((await PlayersAsync(node)).Json);
        Assert.Equal(all, (await PlayersAsync(nodes[2])).Players.Select(p => (long)p["userId"]!).Order());
        Assert.All(answers, a => Assert.Equal(answers[0], a));

        // 2. A report landing on a node that does not hold it reaches the dashboard through the holder's nudge (no round runs).
        var change = await ReportAsync(nodes[1], servers[0], 11, 12, 13);
        Assert.Equal([13L], change["added"]!.Select(a => (long)a));
        await SeenAsync(dashboard, "member_added", 13);

        // 3. SIGTERM to node-1, the holder of job-1's players: it hands them over before it goes.
        var beforeStop = dashboard.MessageCount;
        await nodes[0].StopAsync();
        Assert.True(nodes[0].HasExited, nodes[0].RecentOutput);
        // The marker: a player joining job-1 after the stop, reported through node-2, reaches the dashboard through the new holder.
        await ReportAsync(nodes[1], servers[0], 11, 12, 13, 14);
        await SeenAsync(dashboard, "member_added", 14, beforeStop);
        var removed = dashboard.Messages.Skip(beforeStop).Where(m => (string?)m["type"] == "member_removed").Select(m => m.ToString(Formatting.None)).ToList();
        Assert.True(removed.Count == 0, "players left the dashboard on a clean stop:\n" + string.Join('\n', removed) + "\n" + nodes[0].RecentOutput);
        Assert.Equal([11, 12, 13, 14, 21, 22, 31, 32], MembersNow(dashboard).Order());
        Assert.True(nodes[0].HasPrinted("handed 1 of 1 presence reporters over"), nodes[0].RecentOutput);
    }

    private static async Task<JObject> ReportAsync(RelayProcess node, Server server, params long[] players)
    {
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) }.WithBearer(server.Token);
        var body = new { players = players.Select(p => new { userId = p, name = "player" + p }) };
        var res = await http.PutAsync($"/api/v1/games/{GameId}/servers/{server.JobId}/players", Http.Json(body));
        var answer = await Http.ReadAsync(res);
        Assert.True(res.StatusCode == HttpStatusCode.OK, $"{(int)res.StatusCode} {answer}");
        return answer;
    }

    private static async Task<(List<JObject> Players, string Json)> PlayersAsync(RelayProcess node)
    {
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) }.WithBearer(TestJwt.For("presence-teacher", "educator"));
        var (status, body) = await http.GetJsonAsync($"/api/v1/games/{GameId}/players");
        Assert.Equal(HttpStatusCode.OK, status);
        return (body["players"]!.Cast<JObject>().ToList(), body.ToString(Formatting.None));
    }

    private static Task<JObject> SeenAsync(PusherJsClient dashboard, string type, long userId, int from = 0) =>
        dashboard.WaitForAsync(m => (string?)m["channel"] == Channel && (string?)m["type"] == type && (string?)m["id"] == "roblox-" + userId,
            Patience.Step, $"{type} roblox-{userId}", from);

    /// <summary>The Roblox players pusher-js shows as members now.</summary>
    private static List<long> MembersNow(PusherJsClient dashboard)
    {
        var members = new HashSet<string>();
        foreach (var m in dashboard.Messages.Where(m => (string?)m["channel"] == Channel))
        {
            if ((string?)m["type"] == "subscribed") foreach (var member in m["members"] as JArray ?? []) members.Add((string)member["id"]!);
            else if ((string?)m["type"] == "member_added") members.Add((string)m["id"]!);
            else if ((string?)m["type"] == "member_removed") members.Remove((string)m["id"]!);
        }
        return members.Where(id => id.StartsWith("roblox-", StringComparison.Ordinal)).Select(id => long.Parse(id["roblox-".Length..])).ToList();
    }

    private static Dictionary<string, string?> NodeEnvironment(SoketiServer soketi, RedisServer redis, string nodeId)
    {
        var env = RelayProcess.RedisNodeEnvironment(soketi, redis, nodeId);
        // One round at start and none after within this test (its waits give up after a minute): heartbeats and leases
        // outlive it, and nothing here can be a round's doing.
        env["Cluster__RenewSeconds"] = "300";
        env["Cluster__LeaseSeconds"] = "900";
        env["Cluster__PresenceLeaseSeconds"] = "900";
        env["Presence__SilenceSeconds"] = "600"; // the game servers here report only when the test says
        return env;
    }
}
