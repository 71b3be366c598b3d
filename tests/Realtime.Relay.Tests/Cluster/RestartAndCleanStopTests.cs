using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Cluster;
using Realtime.Relay.Cluster.Redis;
using Realtime.Relay.Inbox;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// Restarts and clean stops of cluster nodes (docs/cluster.md, "Restarts" and "A clean stop"): a starting node
/// tells <c>relay:gap</c> only on channels nobody heard while it was down, and a node stopping cleanly hands its
/// channels over (the taker subscribes first) so their inboxes miss nothing and hear no gap.
/// </summary>
public sealed class RestartAndCleanStopTests : IAsyncLifetime
{
    private readonly ClusterHarness _cluster = new();

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public Task DisposeAsync() => _cluster.DisposeAsync();

    private async Task<List<JObject>> GapsAsync(RelayClient plugin, string reason) =>
        (await _cluster.ReadAsync(plugin.InboxId)).Where(e => e.Event == ChannelRouter.GapEvent)
            .Select(e => JObject.Parse(e.Data)).Where(g => (string?)g["reason"] == reason).ToList();

    private async Task<int> AllGapsAsync(RelayClient plugin) =>
        (await _cluster.ReadAsync(plugin.InboxId)).Count(e => e.Event == ChannelRouter.GapEvent);

    private async Task<(ClusterHarness.Node A, ClusterHarness.Node B)> TwoNodesSharingAsync(List<RelayClient> plugins)
    {
        var a = await _cluster.StartNodeAsync("node-a");
        var b = await _cluster.StartNodeAsync("node-b");
        await Wait.UntilAsync(() => Task.FromResult(a.Ownership.Owned.Count + b.Ownership.Owned.Count == plugins.Count
                                                    && a.Ownership.Owned.Count > 0 && b.Ownership.Owned.Count > 0),
            Patience.Step, "both nodes to own a share: " + Describe());
        return (a, b);
    }

    [Fact]
    public async Task A_starting_node_counts_as_missed_the_channels_no_other_node_holds_or_will_tell_a_gap_for()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_cluster.Redis.ConfigurationString);
        var db = redis.GetDatabase();
        var other = new RedisNodeMembership(redis, new NodeIdentity("node-a"), ClusterHarness.ShortLeases);
        await other.BeatAsync(); // a live node besides the starting one
        await db.StringSetAsync(RedisKeys.ChannelLease("held-by-other"), "node-a");
        await db.StringSetAsync(RedisKeys.ChannelLease("held-by-me"), "node-b");
        await db.StringSetAsync(RedisKeys.ChannelLastOwner("free-last-mine"), "node-b");
        await db.StringSetAsync(RedisKeys.ChannelLastOwner("free-last-other"), "node-c");
        var scope = new RedisRestartGapScope(redis, new RedisNodeMembership(redis, new NodeIdentity("node-b"), ClusterHarness.ShortLeases));
        string[] channels = ["held-by-other", "held-by-me", "free-last-mine", "free-last-other", "never-owned"];

        Assert.Equal(["free-last-mine", "held-by-me", "never-owned"], (await scope.MissedWhileDownAsync(channels)).Order(StringComparer.Ordinal));

        await other.LeaveAsync(); // alone now, as after the whole cluster was down: every channel
        Assert.Equal(channels.Order(StringComparer.Ordinal), (await scope.MissedWhileDownAsync(channels)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_node_starting_while_a_live_node_owns_every_channel_tells_no_inbox_relay_gap()
    {
        var plugins = await _cluster.OpenPluginsAsync(3);
        var a = await _cluster.StartNodeAsync("node-a");
        await Wait.UntilAsync(() => Task.FromResult(a.Ownership.Owned.Count == 3), Patience.Step, "node-a to own every channel: " + Describe());
        var before = new Dictionary<string, int>();
        foreach (var plugin in plugins) before[plugin.InboxId] = await AllGapsAsync(plugin);

        await _cluster.StartNodeAsync("node-b", runLoops: false); // its start restores every inbox's routes

        foreach (var plugin in plugins) Assert.Equal(before[plugin.InboxId], await AllGapsAsync(plugin));
    }

    [Fact]
    public async Task A_node_killed_and_started_again_tells_relay_gap_on_the_channels_it_owned_and_none_on_the_others()
    {
        var plugins = await _cluster.OpenPluginsAsync(4);
        var (a, b) = await TwoNodesSharingAsync(plugins);
        var itsOwn = b.Ownership.Owned.ToHashSet();
        var before = new Dictionary<string, int>();
        foreach (var plugin in plugins) before[plugin.InboxId] = await AllGapsAsync(plugin);

        await b.CrashAsync();
        await _cluster.StartNodeAsync("node-b", runLoops: false);

        // Its own channels: its restart gap, or node-a's takeover gap had its lease lapsed first. Never none.
        foreach (var plugin in plugins.Where(p => itsOwn.Contains(p.OwnChannel)))
            Assert.True(await AllGapsAsync(plugin) > before[plugin.InboxId], $"{plugin.OwnChannel} (node-b's) heard no relay:gap");
        foreach (var plugin in plugins.Where(p => !itsOwn.Contains(p.OwnChannel)))
            Assert.Equal(before[plugin.InboxId], await AllGapsAsync(plugin));
        Assert.NotEmpty(a.Ownership.Owned);
    }

    [Fact]
    public async Task After_every_node_restarts_every_inbox_hears_relay_gap_naming_its_channel()
    {
        var plugins = await _cluster.OpenPluginsAsync(4);
        var (a, b) = await TwoNodesSharingAsync(plugins);
        var before = new Dictionary<string, int>();
        foreach (var plugin in plugins) before[plugin.InboxId] = (await GapsAsync(plugin, "relay_restarted")).Count;

        await a.CrashAsync();
        await b.CrashAsync();
        await _cluster.StartNodeAsync("node-a", runLoops: false);
        await _cluster.StartNodeAsync("node-b", runLoops: false);

        foreach (var plugin in plugins)
        {
            var gaps = await GapsAsync(plugin, "relay_restarted");
            Assert.True(gaps.Count > before[plugin.InboxId], $"{plugin.OwnChannel} heard no relay:gap after the whole cluster restarted");
            Assert.Contains(plugin.OwnChannel, gaps[^1]["channels"]!.Select(c => (string)c!));
        }
    }

    [Fact]
    public async Task A_cleanly_stopped_node_hands_its_channels_over_the_taker_subscribing_first_and_no_inbox_hears_relay_gap()
    {
        var plugins = await _cluster.OpenPluginsAsync(4);
        var (a, b) = await TwoNodesSharingAsync(plugins);
        var moving = b.Ownership.Owned.ToList();
        var logMark = _cluster.FeedLog.Count;

        await b.StopCleanlyAsync(); // returns once node-b moved every lease to node-a

        // node-a counts them as its own at its next round.
        await Wait.UntilAsync(() => Task.FromResult(a.Ownership.Owned.SequenceEqual(plugins.Select(p => p.OwnChannel).Order(StringComparer.Ordinal))),
            Patience.Step, "node-a to own every channel: " + Describe());
        var db = a.Redis.GetDatabase();
        foreach (var plugin in plugins) Assert.Equal("node-a", (string?)await db.StringGetAsync(RedisKeys.ChannelLease(plugin.OwnChannel)));
        var log = _cluster.FeedLog.Skip(logMark).ToList();
        foreach (var channel in moving)
        {
            var moves = log.Where(l => l.Change.Channel == channel).Select(l => l.Node + (l.Change.Wanted ? "+" : "-")).ToList();
            Assert.Equal(["node-a+", "node-b-"], moves); // node-a heard it before node-b let go
        }
        foreach (var plugin in plugins) Assert.Empty(await GapsAsync(plugin, "node_failed"));
    }

    [Fact]
    public async Task A_channel_not_taken_within_the_clean_stops_budget_is_released_and_its_inboxes_hear_relay_gap()
    {
        var plugins = await _cluster.OpenPluginsAsync(4);
        var (a, b) = await TwoNodesSharingAsync(plugins);
        var moving = b.Ownership.Owned.ToList();
        // Every channel node-a reports taken over (its own can be among them if a loaded machine let a 1 s lease lapse).
        var takenOver = new HashSet<string>(StringComparer.Ordinal);
        a.Ownership.TookOver += channels => { lock (takenOver) takenOver.UnionWith(channels); };
        a.ConfirmSubscriptions = false; // node-a takes the offers but Pusher does not confirm in time
        // Counted from here: a loaded machine may have let a 1 s lease lapse while the two nodes shared the channels.
        var before = new Dictionary<string, int>();
        foreach (var plugin in plugins) before[plugin.InboxId] = (await GapsAsync(plugin, "node_failed")).Count;

        await b.StopCleanlyAsync();
        Assert.NotEmpty(moving.Except(a.Ownership.Owned)); // not handed over: released by node-b
        a.ConfirmSubscriptions = true;

        await Wait.UntilAsync(() => Task.FromResult(moving.All(c => { lock (takenOver) return takenOver.Contains(c); })), Patience.Step,
            "node-a to take over node-b's released channels");
        foreach (var plugin in plugins.Where(p => moving.Contains(p.OwnChannel)))
            Assert.Equal(before[plugin.InboxId] + 1, (await GapsAsync(plugin, "node_failed")).Count);
    }

    [Fact]
    public async Task A_node_alone_offers_nothing_on_a_clean_stop_and_keeps_its_channels_until_it_releases_them()
    {
        var plugins = await _cluster.OpenPluginsAsync(2);
        var a = await _cluster.StartNodeAsync("node-a");
        await Wait.UntilAsync(() => Task.FromResult(a.Ownership.Owned.Count == 2), Patience.Step, "node-a to own every channel: " + Describe());

        await a.Ownership.StoppingAsync(default); // no one could take over: no offer, no waiting out the budget

        Assert.Equal(2, a.Ownership.Owned.Count);
        var db = a.Redis.GetDatabase();
        foreach (var plugin in plugins)
        {
            Assert.False(await db.KeyExistsAsync(RedisKeys.ChannelOffer(plugin.OwnChannel)));
            Assert.Equal("node-a", (string?)await db.StringGetAsync(RedisKeys.ChannelLease(plugin.OwnChannel)));
        }
        await a.StopCleanlyAsync();
        foreach (var plugin in plugins) Assert.False(await db.KeyExistsAsync(RedisKeys.ChannelLease(plugin.OwnChannel)));
    }

    private string Describe() => string.Join("; ", _cluster.Nodes.Select(n => n.Id + " owns [" + string.Join(",", n.Ownership.Owned) + "]"));
}
