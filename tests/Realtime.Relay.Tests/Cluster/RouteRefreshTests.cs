using Realtime.Relay.Inbox;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// A node that opened an inbox routes it from a read of its state; in a cluster another node may set the inbox's
/// subscriptions right after that read and this node route them (docs/cluster.md, "Routes") before the read's answer
/// is applied. The older state applied last must not leave the new channel unrouted: nobody would take that channel
/// over from a dead owner until the next full reload (the failover bench saw one channel silent for 20 s).
/// </summary>
public sealed class RouteRefreshTests : IAsyncLifetime
{
    private readonly ClusterHarness _cluster = new();

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public Task DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task An_older_state_read_on_open_and_applied_after_a_newer_one_from_another_node_leaves_the_new_channel_routed()
    {
        var plugin = (await _cluster.OpenPluginsAsync(1))[0];
        var here = await _cluster.StartNodeAsync("node-a", runLoops: false);
        var there = await _cluster.StartNodeAsync("node-b", runLoops: false);
        const string extra = "content-late";
        var slowRead = new FirstReadHeldBack(_cluster.Stores.Inboxes);
        var lifecycle = new InboxLifecycle(slowRead, here.Router, []);

        lifecycle.Opened(plugin); // reads the state now (no subscriptions yet); its answer is held back
        await slowRead.FirstReadDone.Task.WaitAsync(Patience.Step);
        // The client's next request lands on the other node: it sets a subscription and tells the cluster.
        await _cluster.Stores.Inboxes.SetSubscriptionsAsync(plugin.InboxId, [extra]);
        there.Router.Update((await _cluster.StateAsync(plugin.InboxId))!);
        await Wait.UntilAsync(() => Task.FromResult(here.Router.InboxesFor(extra).Contains(plugin.InboxId)), Patience.Step,
            $"node-a routing {extra} as node-b told it");

        var olderApplied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        here.Router.InboxRoutesChanged += id => { if (id == plugin.InboxId) olderApplied.TrySetResult(); };
        slowRead.Release();
        await olderApplied.Task.WaitAsync(Patience.Step); // the older state, without the subscription, was applied

        await Wait.UntilAsync(() => Task.FromResult(here.Router.InboxesFor(extra).Contains(plugin.InboxId)), Patience.Step,
            $"node-a routing {extra} again after applying the older state");
        Assert.Contains(plugin.InboxId, here.Router.InboxesFor(plugin.OwnChannel));
    }

    /// <summary>The shared store, whose first state read answers what it read at once but only when released.</summary>
    private sealed class FirstReadHeldBack(IInboxStore inner) : DelegatingInboxStore(inner)
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public TaskCompletionSource FirstReadDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _released.TrySetResult();

        public override async Task<InboxState?> StateOfAsync(string inboxId)
        {
            var state = await base.StateOfAsync(inboxId);
            if (Interlocked.Increment(ref _reads) != 1) return state;
            FirstReadDone.TrySetResult();
            await _released.Task;
            return state;
        }
    }
}
