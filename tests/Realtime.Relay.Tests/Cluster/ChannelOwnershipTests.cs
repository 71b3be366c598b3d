using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Cluster.Redis;
using Realtime.Relay.Inbox;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// Channel ownership across relay nodes sharing one redis-server (docs/cluster.md): one owner per
/// channel, even shares, takeover of a dead node's channels with <c>relay:gap</c>, and a hand-over
/// on join in which the new owner subscribes before the old one lets go and nothing is stored twice.
/// </summary>
public sealed class ChannelOwnershipTests : IAsyncLifetime
{
    private readonly ClusterHarness _cluster = new();

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public Task DisposeAsync() => _cluster.DisposeAsync();

    private static IncomingEvent Heard(string channel, string name) => new(channel, name, "{\"n\":\"" + name + "\"}");

    private bool EachChannelHasOneOwner(IReadOnlyList<RelayClient> plugins, int maxShare)
    {
        var owned = _cluster.Nodes.SelectMany(n => n.Ownership.Owned).ToList();
        var subscribed = _cluster.Nodes.SelectMany(n => n.Subscribed).ToList();
        var wanted = plugins.Select(p => p.OwnChannel).Order(StringComparer.Ordinal);
        return owned.Order(StringComparer.Ordinal).SequenceEqual(wanted)
               && subscribed.Order(StringComparer.Ordinal).SequenceEqual(wanted)
               && _cluster.Nodes.All(n => n.Ownership.Owned.Count <= maxShare);
    }

    [Fact]
    public async Task Three_nodes_own_every_wanted_channel_exactly_once_in_even_shares()
    {
        var plugins = await _cluster.OpenPluginsAsync(7);
        foreach (var id in new[] { "node-a", "node-b", "node-c" }) await _cluster.StartNodeAsync(id);

        await Wait.UntilAsync(() => Task.FromResult(EachChannelHasOneOwner(plugins, maxShare: 3)), Patience.Step,
            "7 channels owned once each by 3 nodes, at most 3 each: " + Describe());
    }

    [Fact]
    public async Task A_dead_nodes_channels_are_taken_over_and_their_inboxes_told_relay_gap()
    {
        var plugins = await _cluster.OpenPluginsAsync(4);
        var a = await _cluster.StartNodeAsync("node-a");
        var b = await _cluster.StartNodeAsync("node-b");
        await Wait.UntilAsync(() => Task.FromResult(EachChannelHasOneOwner(plugins, maxShare: 2) && a.Ownership.Owned.Count == 2),
            Patience.Step, "two channels each: " + Describe());
        var orphaned = a.Ownership.Owned;
        // node-a's leases may lapse in different rounds of node-b (each was renewed on its own): told in one or more parts.
        var told = new HashSet<string>(StringComparer.Ordinal);
        var allTold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Ownership.TookOver += channels =>
        {
            lock (told)
            {
                told.UnionWith(channels);
                if (told.IsSupersetOf(orphaned)) allTold.TrySetResult();
            }
        };

        await a.CrashAsync();

        await allTold.Task.WaitAsync(Patience.Step);
        lock (told) Assert.Equal(orphaned, told.Order(StringComparer.Ordinal));
        Assert.Equal(plugins.Select(p => p.OwnChannel).Order(StringComparer.Ordinal), b.Ownership.Owned);
        foreach (var plugin in plugins)
        {
            var gaps = (await _cluster.ReadAsync(plugin.InboxId))
                .Where(e => e.Event == ChannelRouter.GapEvent && e.Data.Contains("node_failed", StringComparison.Ordinal)).ToList();
            if (!orphaned.Contains(plugin.OwnChannel)) { Assert.Empty(gaps); continue; }
            var gap = JObject.Parse(Assert.Single(gaps).Data);
            Assert.Equal("node_failed", (string?)gap["reason"]);
            Assert.Equal([plugin.OwnChannel], gap["channels"]!.ToObject<string[]>()!);
        }
    }

    [Fact]
    public async Task After_a_takeover_each_inbox_hears_relay_gap_before_the_first_event_the_new_owner_stores()
    {
        var plugins = await _cluster.OpenPluginsAsync(3);
        var a = await _cluster.StartNodeAsync("node-a", runLoops: false);
        await a.RoundAsync();
        Assert.Equal(3, a.Ownership.Owned.Count);
        var b = await _cluster.StartNodeAsync("node-b", runLoops: false);
        b.ConfirmSubscriptions = false; // b's subscriptions are confirmed only after it took the channels

        await a.CrashAsync();
        await Wait.UntilAsync(async () =>
        {
            await b.RoundAsync();
            return b.Ownership.Owned.Count == plugins.Count;
        }, Patience.Step, "node-b to take every channel once node-a's leases lapse: " + Describe());

        // Pusher confirms b's subscriptions and the first events arrive, before b's next round.
        b.ConfirmSubscriptions = true;
        foreach (var plugin in plugins) await b.HearAsync(Heard(plugin.OwnChannel, "after-takeover"));
        await b.RoundAsync();

        foreach (var plugin in plugins)
        {
            var stored = await _cluster.ReadAsync(plugin.InboxId);
            var gap = Assert.Single(stored, e => e.Event == ChannelRouter.GapEvent && e.Data.Contains("node_failed", StringComparison.Ordinal));
            var first = Assert.Single(stored, e => e.Event == "after-takeover");
            Assert.True(gap.Seq < first.Seq, $"{plugin.InboxId}: relay:gap at seq {gap.Seq}, first event after the takeover at seq {first.Seq}");
        }
    }

    [Fact]
    public async Task A_joining_node_takes_its_share_subscribing_before_the_old_owner_lets_go_and_nothing_is_stored_twice()
    {
        var plugins = await _cluster.OpenPluginsAsync(2);
        var a = await _cluster.StartNodeAsync("node-a", runLoops: false, options: ClusterHarness.HandOverByHand);
        await a.RoundAsync();
        Assert.Equal(2, a.Ownership.Owned.Count);

        var b = await _cluster.StartNodeAsync("node-b", runLoops: false, options: ClusterHarness.HandOverByHand);
        b.ConfirmSubscriptions = false; // Pusher has not confirmed b's subscription yet
        await a.RoundAsync(); // two nodes now: a offers its surplus
        await b.RoundAsync(); // b takes the offer and subscribes
        var moving = Assert.Single(b.Subscribed);
        Assert.Contains(moving, a.Subscribed); // both hear it

        // Both store only what the other has not: each event once, whichever heard it first.
        Assert.NotNull(await a.Ownership.AdmitAsync(Heard(moving, "e1")));
        Assert.Null(await b.Ownership.AdmitAsync(Heard(moving, "e1")));
        Assert.NotNull(await b.Ownership.AdmitAsync(Heard(moving, "e2")));
        Assert.Null(await a.Ownership.AdmitAsync(Heard(moving, "e2")));

        await b.RoundAsync();
        Assert.Empty(b.Ownership.Owned); // not before Pusher confirmed b's subscription
        Assert.Contains(moving, a.Ownership.Owned);

        b.ConfirmSubscriptions = true;
        await b.RoundAsync(); // Pusher confirmed: b says it is ready
        Assert.Empty(b.Ownership.Owned); // not before its owner has seen that
        await a.RoundAsync(); // a sees b ready (a is alive and hears the channel after b's confirmation)
        await b.RoundAsync(); // the lease moves to b
        await a.RoundAsync(); // a's renewal fails: it lets go
        Assert.Equal([moving], b.Ownership.Owned);
        Assert.DoesNotContain(moving, a.Ownership.Owned);
        Assert.DoesNotContain(moving, a.Subscribed);
        Assert.Null(await a.Ownership.AdmitAsync(Heard(moving, "e3")));
        Assert.NotNull(await b.Ownership.AdmitAsync(Heard(moving, "e3")));

        var moves = _cluster.FeedLog.Where(l => l.Change.Channel == moving).Select(l => l.Node + (l.Change.Wanted ? "+" : "-")).ToList();
        Assert.Equal(["node-a+", "node-b+", "node-a-"], moves);
        Assert.True(EachChannelHasOneOwner(plugins, maxShare: 1), Describe());
        foreach (var plugin in plugins)
            Assert.DoesNotContain(await _cluster.ReadAsync(plugin.InboxId), e => e.Event == ChannelRouter.GapEvent && e.Data.Contains("node_failed"));
    }

    /// <summary>
    /// node-a offers one of its two channels and node-b takes the offer and subscribes; Pusher confirms node-b's
    /// subscription at once unless <paramref name="confirmed"/> is false. Given <paramref name="ownerClock"/> (the
    /// test's), node-a's feed's lag is exact. Both run <see cref="ClusterHarness.HandOverByHand"/>: this test's steps, not
    /// the dedupe keys' lifetime in Redis, decide what is stored.
    /// </summary>
    private async Task<(ClusterHarness.Node A, ClusterHarness.Node B, string Moving)> HandOverOneChannelAsync(
        TimeProvider? ownerClock = null, bool confirmed = true)
    {
        await _cluster.OpenPluginsAsync(2);
        var a = await _cluster.StartNodeAsync("node-a", runLoops: false, ownerClock, ClusterHarness.HandOverByHand);
        await a.RoundAsync();
        var b = await _cluster.StartNodeAsync("node-b", runLoops: false, options: ClusterHarness.HandOverByHand);
        b.ConfirmSubscriptions = confirmed;
        await a.RoundAsync(); // offers its surplus
        await b.RoundAsync(); // takes the offer and subscribes
        return (a, b, Assert.Single(b.Subscribed));
    }

    private async Task<string> InboxHearingAsync(string channel) =>
        (await _cluster.Stores.Inboxes.AllStatesAsync()).Single(s => ChannelRouter.ChannelsOf(s).Contains(channel)).InboxId;

    /// <summary>The taker, its subscription confirmed, says it is ready; the owner sees that; the taker moves the lease.</summary>
    private static async Task MoveTheLeaseAsync(ClusterHarness.Node owner, ClusterHarness.Node taker)
    {
        await taker.RoundAsync();
        await owner.RoundAsync();
        await taker.RoundAsync();
    }

    [Fact]
    public async Task Events_the_old_owner_heard_before_the_taker_subscribed_and_stores_after_letting_go_are_stored_once()
    {
        var clock = new FakeTime();
        var (a, b, moving) = await HandOverOneChannelAsync(clock);
        var inbox = await InboxHearingAsync(moving);
        // Heard by node-a alone, before node-b subscribed; node-a's pump is behind and has not stored it yet.
        var heardBeforeTaker = Heard(moving, "heard-before-the-taker") with { HeardAt = clock.GetUtcNow() };
        var heardByBoth = Heard(moving, "heard-by-both") with { HeardAt = clock.GetUtcNow() };
        await b.HearAsync(heardByBoth);

        await MoveTheLeaseAsync(a, b); // to node-b
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await a.RoundAsync(); // node-a's renewal finds it moved: it lets go and unsubscribes
        Assert.DoesNotContain(moving, a.Subscribed);

        // node-a's pump reaches what it heard before letting go, and then one it heard after (node-b heard that too).
        await a.DrainAsync(heardBeforeTaker);
        await a.DrainAsync(heardByBoth);
        Assert.Null(await a.Ownership.AdmitAsync(Heard(moving, "heard-after-letting-go") with { HeardAt = clock.GetUtcNow() }));

        var stored = (await _cluster.ReadAsync(inbox)).Select(e => e.Event).Where(e => e != ChannelRouter.GapEvent).Order(StringComparer.Ordinal);
        Assert.Equal(["heard-before-the-taker", "heard-by-both"], stored);
        Assert.DoesNotContain(await _cluster.ReadAsync(inbox), e => e.Event == ChannelRouter.GapEvent && !e.Data.Contains("relay_restarted"));
    }

    [Fact]
    public async Task An_event_the_old_owner_stores_too_late_after_letting_go_is_told_as_relay_gap()
    {
        var clock = new FakeTime();
        var (a, b, moving) = await HandOverOneChannelAsync(clock);
        var inbox = await InboxHearingAsync(moving);
        var heardBeforeTaker = Heard(moving, "heard-before-the-taker") with { HeardAt = clock.GetUtcNow() };
        await MoveTheLeaseAsync(a, b);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await a.RoundAsync();

        // Its pump reaches the event only after node-b's dedupe keys may have expired: storing it could store it twice.
        clock.Advance(ClusterHarness.HandOverByHand.HandOverWindow);
        await a.DrainAsync(heardBeforeTaker);

        var stored = await _cluster.ReadAsync(inbox);
        Assert.DoesNotContain(stored, e => e.Event == "heard-before-the-taker");
        var gap = JObject.Parse(Assert.Single(stored, e => e.Event == ChannelRouter.GapEvent && !e.Data.Contains("relay_restarted")).Data);
        Assert.Equal("relay_overloaded", (string?)gap["reason"]);
        Assert.Equal([moving], gap["channels"]!.ToObject<string[]>()!);
    }

    [Fact]
    public async Task An_owner_killed_before_the_takers_subscription_is_confirmed_hands_nothing_over_and_its_channel_is_taken_over_with_relay_gap()
    {
        var (a, b, moving) = await HandOverOneChannelAsync(confirmed: false);
        var inbox = await InboxHearingAsync(moving);

        // Killed before Pusher confirmed node-b's subscription: what is published now reaches nobody.
        await a.CrashAsync();
        b.ConfirmSubscriptions = true;
        await b.RoundAsync(); // ready, but its owner is dead and its lease still runs
        Assert.DoesNotContain(moving, b.Ownership.Owned);
        var db = b.Redis.GetDatabase();
        await Wait.UntilAsync(async () => !await db.KeyExistsAsync(RedisKeys.ChannelLease(moving)), Patience.Step, "node-a's lease on " + moving + " to lapse");
        await b.RoundAsync(); // free: taken over, its gap told once the subscription is confirmed (it is)

        Assert.Contains(moving, b.Ownership.Owned);
        var gap = JObject.Parse(Assert.Single(await _cluster.ReadAsync(inbox), e => e.Event == ChannelRouter.GapEvent && !e.Data.Contains("relay_restarted")).Data);
        Assert.Equal("node_failed", (string?)gap["reason"]);
        Assert.Equal([moving], gap["channels"]!.ToObject<string[]>()!);
    }

    [Fact]
    public async Task A_taker_that_stops_before_its_hand_over_finished_is_never_given_the_lease()
    {
        var (a, b, moving) = await HandOverOneChannelAsync();
        await b.RoundAsync(); // confirmed: ready

        await b.StopCleanlyAsync(); // owns nothing: stops at once, hearing nothing more
        await a.RoundAsync(); // sees node-b's last ready
        await a.RoundAsync();

        Assert.Equal("node-a", (string?)await a.Redis.GetDatabase().StringGetAsync(RedisKeys.ChannelLease(moving)));
        Assert.Contains(moving, a.Ownership.Owned);
        Assert.Contains(moving, a.Subscribed); // still heard
    }

    [Fact]
    public async Task A_taker_restarted_under_the_same_id_does_not_finish_its_earlier_processs_hand_over()
    {
        var (a, b, moving) = await HandOverOneChannelAsync();
        await b.RoundAsync(); // confirmed: ready

        await b.CrashAsync();
        var restarted = await _cluster.StartNodeAsync("node-b", runLoops: false, options: ClusterHarness.HandOverByHand);
        await a.RoundAsync(); // sees the crashed process's ready
        await restarted.RoundAsync();

        Assert.Equal("node-a", (string?)await a.Redis.GetDatabase().StringGetAsync(RedisKeys.ChannelLease(moving)));
        Assert.Contains(moving, a.Subscribed); // still heard by its owner
    }

    [Fact]
    public async Task An_owner_that_does_not_hear_the_channel_itself_lets_no_taker_move_its_lease_until_it_does()
    {
        var (a, b, moving) = await HandOverOneChannelAsync();

        a.ConfirmSubscriptions = false; // node-a's connection dropped: its channels wait to be subscribed again
        await MoveTheLeaseAsync(a, b);
        Assert.DoesNotContain(moving, b.Ownership.Owned); // what node-a missed must not go unannounced

        a.ConfirmSubscriptions = true; // subscribed again (the feed tells its inboxes of the gap)
        await MoveTheLeaseAsync(a, b);
        Assert.Equal([moving], b.Ownership.Owned);
    }

    [Fact]
    public async Task A_lease_already_moved_to_the_taker_by_a_round_that_failed_afterwards_is_owned_at_its_next_round()
    {
        var (_, b, moving) = await HandOverOneChannelAsync();

        // node-b's compare-and-set ran in Redis, then its round failed (a timeout) before it counted the channel as owned.
        await b.Redis.GetDatabase().StringSetAsync(RedisKeys.ChannelLease(moving), "node-b", TimeSpan.FromSeconds(30));
        await b.RoundAsync();

        Assert.Equal([moving], b.Ownership.Owned); // renewed from now on, and still heard
        Assert.Contains(moving, b.Subscribed);
    }

    [Fact]
    public async Task A_channel_no_inbox_wants_any_more_is_released_and_unsubscribed()
    {
        var plugins = await _cluster.OpenPluginsAsync(2);
        var a = await _cluster.StartNodeAsync("node-a", runLoops: false);
        await a.RoundAsync();
        Assert.Equal(2, a.Subscribed.Count);

        a.Router.Remove(plugins[0].InboxId);
        await a.RoundAsync();

        Assert.Equal([plugins[1].OwnChannel], a.Ownership.Owned);
        Assert.Equal([plugins[1].OwnChannel], a.Subscribed);
        Assert.Null(await a.Ownership.AdmitAsync(Heard(plugins[0].OwnChannel, "late")));
    }

    [Fact]
    public async Task An_inbox_opened_or_closed_on_one_node_is_routed_by_every_node_and_its_channel_owned_once()
    {
        var a = await _cluster.StartNodeAsync("node-a");
        var b = await _cluster.StartNodeAsync("node-b");
        var plugin = (await _cluster.OpenPluginsAsync(1))[0];

        a.Router.Update((await _cluster.StateAsync(plugin.InboxId))!); // as node-a's inbox lifecycle does

        await Wait.UntilAsync(() => Task.FromResult(b.Router.InboxesFor(plugin.OwnChannel).Contains(plugin.InboxId)
                                                    && EachChannelHasOneOwner([plugin], maxShare: 1)),
            Patience.Step, "node-b to route the inbox node-a opened, and one node to own its channel: " + Describe());

        await _cluster.Stores.Inboxes.CloseAsync(plugin);
        b.Router.Remove(plugin.InboxId); // closed through node-b

        await Wait.UntilAsync(() => Task.FromResult(a.Router.InboxesFor(plugin.OwnChannel).Count == 0
                                                    && _cluster.Nodes.All(n => n.Ownership.Owned.Count == 0 && n.Subscribed.Count == 0)),
            Patience.Step, "node-a to drop the route and the channel to be released: " + Describe());
    }

    private string Describe() => string.Join("; ", _cluster.Nodes.Select(n => n.Id + " owns [" + string.Join(",", n.Ownership.Owned) + "]"));
}
