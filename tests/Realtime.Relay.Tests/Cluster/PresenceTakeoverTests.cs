using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Auth;
using Realtime.Relay.Clients;
using Realtime.Relay.Cluster;
using Realtime.Relay.Cluster.Redis;
using Realtime.Relay.Presence;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// Presence across nodes (docs/cluster.md, "Presence"), on a real soketi and a real redis-server, watched by a
/// pusher-js dashboard: a dead holder's players come back from the roster kept in Redis, and a clean hand-over
/// on join connects the new holder first, so the dashboard sees no one leave.
/// </summary>
public sealed class PresenceTakeoverTests : IAsyncLifetime
{
    private static readonly RelayClient Server1 = new(ClientKind.GameServer, "job-1", "g1");
    private static readonly RelayClient Server2 = new(ClientKind.GameServer, "job-2", "g1");
    private const string Channel = "presence-game-g1";

    private RedisServer _redis = null!;
    private SoketiServer _soketi = null!;
    private LocalAuthEndpoint _auth = null!;
    private PusherJsClient _dashboard = null!;
    private readonly List<PresenceNode> _nodes = [];

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _soketi = await SoketiServer.StartAsync();
        var authorizer = new PusherAuthorizer(_soketi.Settings.Key, _soketi.Settings.Secret);
        _auth = new LocalAuthEndpoint((socketId, channel) =>
            authorizer.AuthorizePresenceChannel(socketId, channel, "teacher-1", new { name = "T" }).ToJson());
        _dashboard = await PusherJsClient.ConnectAsync(new PusherJsOptions
        {
            Key = _soketi.Settings.Key, Host = _soketi.Host, Port = _soketi.Port, AuthEndpoint = _auth.Url,
        });
        Assert.Equal("subscribed", (string?)(await _dashboard.SubscribeAsync(Channel))["type"]);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await _dashboard.DisposeAsync();
        await _auth.DisposeAsync();
        await _soketi.DisposeAsync();
        await _redis.DisposeAsync();
    }

    // Leases that outlive the test and no rounds unless a test runs them: what happens comes from reports and nudges alone.
    private static readonly ClusterOptions NoRounds = new() { LeaseSeconds = 600, RenewSeconds = 300, PresenceLeaseSeconds = 600 };

    private async Task<PresenceNode> NodeAsync(string id, ClusterOptions? options = null)
    {
        var node = new PresenceNode(id, await ConnectionMultiplexer.ConnectAsync(_redis.ConfigurationString), _soketi, options ?? ClusterHarness.ShortLeases);
        _nodes.Add(node);
        await node.Membership.BeatAsync();
        await node.Takeover.ListenAsync();
        return node;
    }

    private static PlayerReport Player(long id, string name) => new(new JValue(id), name, null);

    private static bool Is(JObject m, string type, string id) => (string?)m["type"] == type && (string?)m["id"] == id;

    private List<string> MemberEvents() => _dashboard.Messages
        .Where(m => (string?)m["channel"] == Channel && (string?)m["type"] is "member_added" or "member_removed")
        .Select(m => (string)m["type"]! + " " + (string)m["id"]!).ToList();

    private Task<JObject> SeenAsync(string type, string id, int from = 0) =>
        _dashboard.WaitForAsync(m => Is(m, type, id), Patience.Step, $"{type} {id}", from);

    [Fact]
    public async Task A_dead_holders_players_are_taken_over_from_the_roster_kept_in_redis()
    {
        var a = await NodeAsync("node-a");
        var b = await NodeAsync("node-b");
        await a.Roster.ReportAsync(Server1, "g1", [Player(1, "alice"), Player(2, "bob")], CancellationToken.None);
        await SeenAsync("member_added", "roblox-1");
        await SeenAsync("member_added", "roblox-2");
        var tookOver = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Takeover.TookOver += keys => tookOver.TrySetResult(keys);
        await b.Takeover.RunRoundAsync();
        Assert.Empty(b.Roster.Held); // a holds them while it renews

        var before = _dashboard.Messages.Count;
        await a.CrashAsync(); // its sockets close, its lease is never renewed

        await Wait.UntilAsync(async () => { await b.RoundAsync(); return tookOver.Task.IsCompleted; }, Patience.Step, "node-b to take over");
        Assert.Equal([RosterReport.KeyOf(Server1, "g1")], await tookOver.Task);
        await SeenAsync("member_added", "roblox-1", before);
        await SeenAsync("member_added", "roblox-2", before);
        Assert.Equal([1L, 2L], b.Roster.Snapshot("g1").Players.Select(p => p.UserId).Order());
    }

    [Fact]
    public async Task A_joining_node_takes_its_share_of_reporters_without_players_leaving_the_dashboard()
    {
        var a = await NodeAsync("node-a");
        await a.Roster.ReportAsync(Server1, "g1", [Player(1, "alice")], CancellationToken.None);
        await a.Roster.ReportAsync(Server2, "g1", [Player(2, "bob")], CancellationToken.None);
        await SeenAsync("member_added", "roblox-1");
        await SeenAsync("member_added", "roblox-2");

        var b = await NodeAsync("node-b");
        var moved = RosterReport.KeyOf(Server2, "g1");
        await Wait.UntilAsync(async () =>
        {
            await a.RoundAsync();
            await b.RoundAsync();
            return await b.Leases.HolderAsync(RedisKeys.PresenceLease(moved)) == "node-b" && !a.Roster.Held.ContainsKey(moved);
        }, Patience.Step, "node-b to hold job-2's players and node-a to let go");

        // A report on either node still lands with the holder; a new player is the marker that the dashboard is up to date.
        var change = await a.Roster.ReportAsync(Server2, "g1", [Player(2, "bob"), Player(3, "carol")], CancellationToken.None);
        Assert.Equal([3L], change!.Added);
        await Wait.UntilAsync(async () => { await b.RoundAsync(); return b.Roster.Snapshot("g1").Players.Count == 2; }, Patience.Step, "node-b to apply it");
        await SeenAsync("member_added", "roblox-3");

        // Each player joined once and nobody left; alice's and bob's joins come from two sockets, so their order is Pusher's.
        Assert.Equal(["member_added roblox-1", "member_added roblox-2", "member_added roblox-3"], MemberEvents().Order());
        Assert.Equal([RosterReport.KeyOf(Server1, "g1")], a.Roster.Held.Keys);
    }

    [Fact]
    public async Task Every_node_answers_the_games_players_alike_from_the_rosters_and_seats_kept_in_redis()
    {
        var a = await NodeAsync("node-a", NoRounds);
        var b = await NodeAsync("node-b", NoRounds);
        await a.Roster.ReportAsync(Server1, "g1", [Player(1, "alice")], CancellationToken.None);
        await b.Roster.ReportAsync(Server2, "g1", [Player(2, "bob")], CancellationToken.None);
        await SeenAsync("member_added", "roblox-1");
        await SeenAsync("member_added", "roblox-2");
        Assert.Equal([1L], a.Roster.Snapshot("g1").Players.Select(p => p.UserId)); // each holds only its own reporter

        // Each holder stores its seats when Pusher has made them members (its round looks).
        await Wait.UntilAsync(async () =>
        {
            await a.Takeover.RunRoundAsync();
            await b.Takeover.RunRoundAsync();
            var players = (await a.Players.ReadAsync("g1")).Players;
            return players.Count == 2 && players.All(p => p.Pusher == "member");
        }, Patience.Step, "both holders to store their members");

        var fromA = await a.Players.ReadAsync("g1");
        var fromB = await b.Players.ReadAsync("g1");
        Assert.Equal([(1L, "alice", "job-1", "member"), (2L, "bob", "job-2", "member")],
            fromA.Players.Select(p => (p.UserId, p.Name, p.JobId, p.Pusher)).OrderBy(p => p.UserId));
        Assert.Equal(JsonOf(fromA), JsonOf(fromB));
        Assert.Equal(["job-1", "job-2"], fromA.Servers.Select(s => s.JobId));
        // since is the holder's: when the player joined there, not when the report was kept
        Assert.Equal(a.Roster.Snapshot("g1").Players.Single().Since, fromA.Players.Single(p => p.UserId == 1).Since);
    }

    [Fact]
    public async Task A_report_kept_by_a_node_that_does_not_hold_it_reaches_the_dashboard_through_the_holder_without_a_round()
    {
        var a = await NodeAsync("node-a", NoRounds);
        var b = await NodeAsync("node-b", NoRounds);
        await a.Roster.ReportAsync(Server1, "g1", [Player(1, "alice")], CancellationToken.None);
        await SeenAsync("member_added", "roblox-1");

        // No node runs a round here: only the nudge can bring the report kept on node-b to node-a, the holder.
        var change = await b.Roster.ReportAsync(Server1, "g1", [Player(1, "alice"), Player(2, "bob")], CancellationToken.None);
        Assert.Equal([2L], change!.Added);
        Assert.Empty(b.Roster.Held);
        await SeenAsync("member_added", "roblox-2");
        Assert.Equal([1L, 2L], a.Roster.Snapshot("g1").Players.Select(p => p.UserId).Order());
    }

    [Fact]
    public async Task A_stopping_holder_hands_its_players_to_another_node_and_the_dashboard_sees_none_leave()
    {
        var a = await NodeAsync("node-a", NoRounds);
        await a.Roster.ReportAsync(Server1, "g1", [Player(1, "alice")], CancellationToken.None);
        await a.Roster.ReportAsync(Server2, "g1", [Player(2, "bob")], CancellationToken.None);
        await SeenAsync("member_added", "roblox-1");
        await SeenAsync("member_added", "roblox-2");
        var b = await NodeAsync("node-b", NoRounds);

        // As the host stops: the presence hand-over first, then the roster closes what is left (PresenceSweeper).
        await a.Takeover.StoppingAsync(CancellationToken.None);
        await a.Roster.DisposeAsync();
        Assert.Equal([RosterReport.KeyOf(Server1, "g1"), RosterReport.KeyOf(Server2, "g1")], b.Roster.Held.Keys.Order(StringComparer.Ordinal));

        // The marker: a player joining after the hand-over, through the new holder. Anything before it has reached the dashboard.
        await b.Roster.ReportAsync(Server1, "g1", [Player(1, "alice"), Player(3, "carol")], CancellationToken.None);
        await SeenAsync("member_added", "roblox-3");
        Assert.Equal(["member_added roblox-1", "member_added roblox-2", "member_added roblox-3"], MemberEvents().Order());
        Assert.Equal(["roblox-1", "roblox-2", "roblox-3"], MembersNow().Order());
    }

    private static string JsonOf(GameRoster roster) => Newtonsoft.Json.JsonConvert.SerializeObject(roster);

    /// <summary>The members pusher-js shows now: the subscription's list, then each added and removed.</summary>
    private List<string> MembersNow()
    {
        var members = new HashSet<string>();
        foreach (var m in _dashboard.Messages.Where(m => (string?)m["channel"] == Channel))
        {
            if ((string?)m["type"] == "subscribed") foreach (var member in m["members"] as JArray ?? []) members.Add((string)member["id"]!);
            else if ((string?)m["type"] == "member_added") members.Add((string)m["id"]!);
            else if ((string?)m["type"] == "member_removed") members.Remove((string)m["id"]!);
        }
        members.Remove("teacher-1");
        return members.ToList();
    }

    private sealed class PresenceNode : IAsyncDisposable
    {
        private bool _crashed;

        public PresenceNode(string id, ConnectionMultiplexer redis, SoketiServer soketi, ClusterOptions options)
        {
            Redis = redis;
            Membership = new RedisNodeMembership(redis, new NodeIdentity(id), options);
            Leases = new RedisLeases(redis);
            var rosters = new RedisRosterStore(redis);
            var presence = new PresenceOptions();
            var nudges = new RedisPresenceNudges(redis, Membership);
            var holding = new RedisPresenceHolding(rosters, Leases, Membership, options, nudges);
            Roster = new PresenceRoster(new PusherPresenceConnections(soketi.PusherOptions(), NullLoggerFactory.Instance),
                holding, presence, TimeProvider.System, NullLogger<PresenceRoster>.Instance);
            Takeover = new PresenceTakeover(Roster, rosters, Leases, redis, Membership, holding, nudges, options, presence,
                TimeProvider.System, NullLogger<PresenceTakeover>.Instance);
            Players = new RedisGameRosterReader(rosters, presence, TimeProvider.System);
        }

        /// <summary>This node's answer to <c>GET /api/v1/games/{gameId}/players</c>.</summary>
        public RedisGameRosterReader Players { get; }

        public ConnectionMultiplexer Redis { get; }
        public RedisNodeMembership Membership { get; }
        public RedisLeases Leases { get; }
        public PresenceRoster Roster { get; }
        public PresenceTakeover Takeover { get; }

        public async Task RoundAsync()
        {
            if (_crashed) return;
            await Membership.BeatAsync();
            await Takeover.RunRoundAsync();
        }

        /// <summary>The node dies: its players' sockets close (as the process's would), nothing in Redis is released.</summary>
        public async Task CrashAsync()
        {
            _crashed = true;
            await Redis.CloseAsync(allowCommandsToComplete: false);
            await Roster.DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_crashed) await Roster.DisposeAsync();
            await Redis.DisposeAsync();
        }
    }
}
