using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Relay.Clients;
using Realtime.Relay.Cluster;
using Realtime.Relay.Cluster.Redis;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// Every node routes every inbox (docs/cluster.md, "Routes"): a node told of changes to one inbox close together ends
/// with that inbox's latest routes, whatever order its reads of the state finish in.
/// </summary>
public sealed class RouteSyncTests : IAsyncLifetime
{
    private readonly ClusterHarness _cluster = new();

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public Task DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task An_older_state_read_before_a_newer_change_and_answered_after_it_does_not_leave_a_route_missing()
    {
        var plugins = await _cluster.OpenPluginsAsync(2);
        var (inbox, marker) = (plugins[0], plugins[1]);
        var a = await _cluster.StartNodeAsync("node-a", runLoops: false);

        // node-b: its first read of the inbox's state answers only when the test lets it.
        var reads = new FirstReadHeldBack(_cluster.Stores.Inboxes, inbox.InboxId);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_cluster.Redis.ConfigurationString);
        var router = new ChannelRouter(_cluster.Stores.Inboxes, new NeverRecovers(), NullLogger<ChannelRouter>.Instance);
        await router.ReportRestartGapAsync();
        var sync = new RedisRouteSync(redis, router, reads, new RedisNodeMembership(redis, new NodeIdentity("node-b"), ClusterHarness.ShortLeases),
            ClusterHarness.ShortLeases, NullLogger<RedisRouteSync>.Instance);
        await sync.ListenAsync();

        // Two subscription changes through node-a: node-b reads the state after the first, and that read answers late.
        await SubscribeThroughAsync(a, inbox, ["roblox-sync"]);
        await reads.Held.Task.WaitAsync(Patience.Step);
        await SubscribeThroughAsync(a, inbox, ["roblox-sync", "dashboard-updates"]);
        // Pub/sub keeps order: once node-b routes the marker inbox it was told of the second change too. If it started a
        // second read of the inbox, that one is applied before the first is let go.
        await SubscribeThroughAsync(a, marker, ["system-status"]);
        await Wait.UntilAsync(() => Task.FromResult(router.InboxesFor("system-status").Contains(marker.InboxId)
                                                    && (reads.ReadsOfInbox == 1 || router.InboxesFor("dashboard-updates").Contains(inbox.InboxId))),
            Patience.Step, "node-b to hear of both changes");

        var applied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        router.InboxRoutesChanged += changed => { if (changed == inbox.InboxId) applied.TrySetResult(); };
        reads.Release(); // the first state (roblox-sync only) is applied now, after the second change
        await applied.Task.WaitAsync(Patience.Step);

        await Wait.UntilAsync(() => Task.FromResult(router.InboxesFor("dashboard-updates").Contains(inbox.InboxId)
                                                    && router.InboxesFor("roblox-sync").Contains(inbox.InboxId)),
            Patience.Step, "node-b to route the inbox's latest subscriptions (roblox-sync and dashboard-updates)");
    }

    /// <summary>As the relay's PUT subscriptions does on the node the request landed on: store, then route (which tells the others).</summary>
    private async Task SubscribeThroughAsync(ClusterHarness.Node node, RelayClient client, List<string> channels)
    {
        await _cluster.Stores.Inboxes.SetSubscriptionsAsync(client.InboxId, channels);
        node.Router.Update((await _cluster.StateAsync(client.InboxId))!);
    }

    /// <summary>The shared inbox store, except that the first read of one inbox's state is held back (its answer is the state at the time of reading).</summary>
    private sealed class FirstReadHeldBack(IInboxStore inner, string inboxId) : DelegatingInboxStore(inner)
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int ReadsOfInbox => Volatile.Read(ref _reads);

        public void Release() => _release.TrySetResult();

        public override async Task<InboxState?> StateOfAsync(string id)
        {
            var state = await base.StateOfAsync(id);
            if (id == inboxId && Interlocked.Increment(ref _reads) == 1)
            {
                Held.TrySetResult();
                await _release.Task;
            }
            return state;
        }
    }

    private sealed class NeverRecovers : IStorageRecovery
    {
        public event Action? Recovered { add { } remove { } }
    }
}
