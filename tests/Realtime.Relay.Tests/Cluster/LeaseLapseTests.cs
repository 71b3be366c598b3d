using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Cluster;
using Realtime.Relay.Cluster.Redis;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// A channel lease lapsing on a live node (docs/cluster.md, "Fencing"): its renewals go on while a round is stuck,
/// a node whose lease lapsed cannot store after another node took the channel, and a node that takes its own lapsed
/// channel again tells the inboxes <c>relay:gap</c> (<c>lease_lost</c>). A lapse is made by deleting the lease key,
/// which is what its expiry does.
/// </summary>
public sealed class LeaseLapseTests : IAsyncLifetime
{
    private readonly ClusterHarness _cluster = new();

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public Task DisposeAsync() => _cluster.DisposeAsync();

    private static IncomingEvent Heard(string channel, string name) => new(channel, name, "{\"n\":\"" + name + "\"}");

    private Task LapseAsync(string channel) => _cluster.Nodes[0].Redis.GetDatabase().KeyDeleteAsync(RedisKeys.ChannelLease(channel));

    /// <summary>The inbox as a client reads it: event names, and each relay:gap as "gap:reason" (start-up gaps left out).</summary>
    private async Task<List<string>> StoredAsync(string inboxId) =>
        (await _cluster.ReadAsync(inboxId))
        .Select(e => e.Event == ChannelRouter.GapEvent ? "gap:" + (string?)JObject.Parse(e.Data)["reason"] : e.Event)
        .Where(e => e != "gap:relay_restarted")
        .ToList();

    [Fact]
    public async Task A_node_whose_lease_lapsed_stores_nothing_after_another_node_took_the_channel()
    {
        var inbox = (await _cluster.OpenPluginsAsync(1))[0];
        var channel = inbox.OwnChannel;
        var a = await _cluster.StartNodeAsync("node-a", runLoops: false);
        await a.RoundAsync();
        Assert.Equal([channel], a.Ownership.Owned);
        var b = await _cluster.StartNodeAsync("node-b", runLoops: false);
        await a.HearAsync(Heard(channel, "before-lapse"));

        // node-a's renewals stall past the lease; node-b finds the channel free and takes it.
        await LapseAsync(channel);
        await b.RoundAsync();
        Assert.Equal([channel], b.Ownership.Owned);
        Assert.Equal([channel], a.Ownership.Owned); // node-a has not noticed yet and still hears the channel

        await a.HearAsync(Heard(channel, "heard-by-both"));
        await b.HearAsync(Heard(channel, "heard-by-both"));
        await a.RoundAsync();
        Assert.Empty(a.Ownership.Owned);
        await b.HearAsync(Heard(channel, "after"));

        Assert.Equal(["before-lapse", "gap:node_failed", "heard-by-both", "after"], await StoredAsync(inbox.InboxId));
    }

    [Fact]
    public async Task A_node_that_takes_its_own_lapsed_channel_again_tells_the_inboxes_relay_gap_lease_lost_before_new_events()
    {
        var inbox = (await _cluster.OpenPluginsAsync(1))[0];
        var channel = inbox.OwnChannel;
        var a = await _cluster.StartNodeAsync("node-a", runLoops: false);
        await a.RoundAsync();
        await a.HearAsync(Heard(channel, "before-lapse"));

        await LapseAsync(channel);
        await a.RoundAsync(); // finds its lease gone, lets go and (nobody holding it) takes it again
        Assert.Equal([channel], a.Ownership.Owned);
        Assert.Equal([(channel, false), (channel, true)], _cluster.FeedLog.Where(l => l.Change.Channel == channel).Skip(1)
            .Select(l => (l.Change.Channel, l.Change.Wanted))); // unsubscribed, then subscribed again: events in between reached nobody
        await a.HearAsync(Heard(channel, "after"));

        Assert.Equal(["before-lapse", "gap:lease_lost", "after"], await StoredAsync(inbox.InboxId));
    }

    [Fact]
    public async Task Leases_are_renewed_while_a_round_is_stuck()
    {
        var inbox = (await _cluster.OpenPluginsAsync(1))[0];
        var channel = inbox.OwnChannel;
        var redis = await ConnectionMultiplexer.ConnectAsync(_cluster.Redis.ConfigurationString);
        var membership = new StuckAfterFirstRound(new RedisNodeMembership(redis, new NodeIdentity("node-stuck"), ClusterHarness.ShortLeases));
        var router = new ChannelRouter(_cluster.Stores.Inboxes, new NeverRecovers(), NullLogger<ChannelRouter>.Instance);
        await router.ReportRestartGapAsync();
        using var ownership = new RedisChannelOwnership(redis, _cluster.Fences, membership, router, ClusterHarness.ShortLeases,
            TimeProvider.System, NullLogger<RedisChannelOwnership>.Instance);
        ownership.Follow(_ => { }, _ => true);
        try
        {
            await ownership.StartAsync(default);
            await Wait.UntilAsync(() => Task.FromResult(ownership.Owned.Contains(channel)), Patience.Step, "the first round to take the channel");
            await membership.Stuck.Task.WaitAsync(Patience.Step); // the next round hangs from here on

            // The lease lives 1 s; seen renewed (its time to live going up) three times while the round hangs.
            var db = redis.GetDatabase();
            var renewals = 0;
            var last = (await db.KeyTimeToLiveAsync(RedisKeys.ChannelLease(channel))) ?? TimeSpan.Zero;
            await Wait.UntilAsync(async () =>
            {
                var ttl = (await db.KeyTimeToLiveAsync(RedisKeys.ChannelLease(channel))) ?? TimeSpan.Zero;
                if (ttl > last) renewals++;
                last = ttl;
                return renewals >= 3;
            }, Patience.Step, "the lease to be renewed three times while the round is stuck");

            Assert.Equal("node-stuck", (string?)await db.StringGetAsync(RedisKeys.ChannelLease(channel)));
            Assert.Equal([channel], ownership.Owned);
        }
        finally
        {
            membership.Release();
            await ownership.StopAsync(default);
            await redis.DisposeAsync();
        }
    }

    /// <summary>The membership a round starts with: answers the first round, then hangs until released (a starved round).</summary>
    private sealed class StuckAfterFirstRound(INodeMembership inner) : INodeMembership
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public TaskCompletionSource Stuck { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string NodeId => inner.NodeId;

        public async Task<IReadOnlyList<string>> LiveNodesAsync()
        {
            if (Interlocked.Increment(ref _calls) > 1)
            {
                Stuck.TrySetResult();
                await _released.Task;
            }
            return await inner.LiveNodesAsync();
        }

        public Task LeaveAsync() => inner.LeaveAsync();

        public void Release() => _released.TrySetResult();
    }

    private sealed class NeverRecovers : IStorageRecovery
    {
        public event Action? Recovered { add { } remove { } }
    }
}
