using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Relay.Clients;
using Realtime.Relay.Cluster;
using Realtime.Relay.Cluster.Redis;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.Redis;
using Realtime.Relay.Tests.Storage.Contract;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// Relay nodes in one process against one real redis-server, sharing one set of Redis stores (as a cluster
/// does; their append script enforces the channels' lease epochs). Each node has its own Redis
/// connection, router, heartbeat and channel ownership, with short leases; its Pusher feed is the
/// recording follower below (the feed's own tests cover Pusher).
/// </summary>
public sealed class ClusterHarness : IAsyncLifetime
{
    /// <summary>
    /// Short enough that a takeover comes in seconds, long enough that a live node never loses a lease: renewed every
    /// 0.2 s, a lease lapses only if its node is starved for 2.8 s. With 1 s leases (0.8 s of starvation), a node under
    /// the parallel suite's load sometimes lost its own channels for a round, and a test about another node's death
    /// then saw gaps (lease_lost) it did not cause. A test about a lapse makes one on purpose (LeaseLapseTests).
    /// </summary>
    public static readonly ClusterOptions ShortLeases = new() { LeaseSeconds = 3, RenewSeconds = 0.2, PresenceLeaseSeconds = 3, StopHandOverSeconds = 2 };

    /// <summary>
    /// For nodes whose rounds a test runs by hand: the two subscribers of a channel in hand-over dedupe what they hear
    /// for 4.5 s (three renewals) instead of 0.6 s. The dedupe keys live in Redis on real time, and a test's steps between
    /// hearing an event on one node and draining it on the other took longer than 0.6 s under the parallel suite's load.
    /// </summary>
    public static readonly ClusterOptions HandOverByHand = ShortLeases with { RenewSeconds = 1.5 };

    private readonly List<Node> _nodes = [];
    public RedisServer Redis { get; private set; } = null!;
    public StoreSet Stores { get; private set; } = null!;
    public RedisChannelFences Fences { get; private set; } = null!;
    /// <summary>Every node's subscribe/unsubscribe in the order they happened.</summary>
    public ConcurrentQueue<(string Node, ChannelDemandChange Change)> FeedLog { get; } = new();

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        RedisStorage storage = null!;
        Stores = await RedisStores.OpenAsync(Redis, "cluster-" + Guid.NewGuid().ToString("N"), new InboxOptions(), TimeProvider.System, seen: s => storage = s);
        Fences = new RedisChannelFences(storage);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await Stores.Close();
        await Redis.DisposeAsync();
    }

    /// <summary>Opens plugin inboxes (each wants its own channel); returns the clients.</summary>
    public async Task<List<RelayClient>> OpenPluginsAsync(int count)
    {
        var plugins = Enumerable.Range(0, count).Select(_ => new RelayClient(ClientKind.Plugin, ClientTokens.NewId(), null)).ToList();
        foreach (var plugin in plugins) await Stores.Inboxes.OpenAsync(plugin);
        return plugins;
    }

    /// <param name="clock">The node's channel ownership clock (lease lifetimes stay real: Redis keeps them).</param>
    /// <param name="options">Its timings; <see cref="ShortLeases"/> unless given.</param>
    public async Task<Node> StartNodeAsync(string id, bool runLoops = true, TimeProvider? clock = null, ClusterOptions? options = null)
    {
        var node = new Node(this, id, await ConnectionMultiplexer.ConnectAsync(Redis.ConfigurationString), clock ?? TimeProvider.System, options ?? ShortLeases);
        _nodes.Add(node);
        // As the relay does at start: routes from the stored inboxes, and relay:gap where nobody heard the channels meanwhile.
        await new RestartGapReporter(node.Router, new RedisRestartGapScope(node.Redis, node.Membership), NullLogger<RestartGapReporter>.Instance)
            .StartAsync(default);
        await node.RouteSync.ListenAsync();
        if (runLoops) await node.StartLoopsAsync();
        else await node.Membership.BeatAsync();
        return node;
    }

    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>An inbox's stored events (the store's read, in one place for the tests).</summary>
    public Task<List<StoredEvent>> ReadAsync(string inboxId) => Stores.Inboxes.ReadAfterAsync(inboxId, 0, 100);

    public Task<InboxState?> StateAsync(string inboxId) => Stores.Inboxes.StateOfAsync(inboxId);

    /// <summary>Storage never fails here.</summary>
    private sealed class StorageThatNeverFails : IStorageRecovery
    {
        public event Action? Recovered { add { } remove { } }
    }

    public sealed class Node : IAsyncDisposable
    {
        private readonly ClusterHarness _cluster;
        private readonly ConcurrentDictionary<string, bool> _subscribed = new(StringComparer.Ordinal);
        private bool _stopped;

        public Node(ClusterHarness cluster, string id, ConnectionMultiplexer redis, TimeProvider clock, ClusterOptions options)
        {
            _cluster = cluster;
            Id = id;
            Redis = redis;
            Router = new ChannelRouter(cluster.Stores.Inboxes, new StorageThatNeverFails(), NullLogger<ChannelRouter>.Instance);
            Membership = new RedisNodeMembership(redis, new NodeIdentity(id), options);
            Ownership = new RedisChannelOwnership(redis, cluster.Fences, Membership, Router, options, clock, NullLogger<RedisChannelOwnership>.Instance);
            RouteSync = new RedisRouteSync(redis, Router, cluster.Stores.Inboxes, Membership, options, NullLogger<RedisRouteSync>.Instance);
            foreach (var channel in Ownership.Follow(OnChange, IsSubscribed)) OnChange(new ChannelDemandChange(channel, true));
        }

        public string Id { get; }
        public ConnectionMultiplexer Redis { get; }
        public ChannelRouter Router { get; }
        public RedisNodeMembership Membership { get; }
        public RedisChannelOwnership Ownership { get; }
        public RedisRouteSync RouteSync { get; }

        /// <summary>Pusher confirms subscriptions at once, unless a test holds them back to look at a hand-over half way.</summary>
        public bool ConfirmSubscriptions { get; set; } = true;

        public IReadOnlyList<string> Subscribed => _subscribed.Keys.Order(StringComparer.Ordinal).ToList();

        private void OnChange(ChannelDemandChange change)
        {
            _cluster.FeedLog.Enqueue((Id, change));
            if (change.Wanted) _subscribed[change.Channel] = true;
            else _subscribed.TryRemove(change.Channel, out _);
        }

        private bool IsSubscribed(string channel) => ConfirmSubscriptions && _subscribed.ContainsKey(channel);

        /// <summary>An event Pusher sends on a confirmed subscription, handled as the feed's channel pump does.</summary>
        public async Task HearAsync(IncomingEvent heard)
        {
            if (!IsSubscribed(heard.Channel)) throw new InvalidOperationException($"{Id} does not hear {heard.Channel}");
            if (await Ownership.AdmitAsync(heard) is { } admitted) await Router.DeliverAsync(admitted);
        }

        /// <summary>
        /// An event heard before this node let go of its channel, still waiting in the feed's queue of that channel: the
        /// feed has unsubscribed, and its channel pump handles it as any other.
        /// </summary>
        public async Task DrainAsync(IncomingEvent heardBefore)
        {
            if (await Ownership.AdmitAsync(heardBefore) is { } admitted) await Router.DeliverAsync(admitted);
        }

        public async Task StartLoopsAsync()
        {
            await Membership.StartAsync(default);
            await Ownership.StartAsync(default);
        }

        /// <summary>A crash: the loops stop, nothing is released, the connection to Redis goes away.</summary>
        public async Task CrashAsync()
        {
            _stopped = true;
            Membership.Dispose(); // cancels the loop without the clean stop's release
            Ownership.Dispose();
            await Redis.CloseAsync(allowCommandsToComplete: false);
        }

        /// <summary>
        /// A clean stop as the host runs it on SIGTERM: the hand-over before any service stops, then the stops (the
        /// Pusher feed's among them: this node hears nothing more).
        /// </summary>
        public async Task StopCleanlyAsync()
        {
            await Ownership.StoppingAsync(default);
            _subscribed.Clear();
            await Ownership.StopAsync(default);
            await Membership.StopAsync(default);
            Ownership.Dispose();
            Membership.Dispose();
            _stopped = true; // stopped: nothing left to stop when the cluster is disposed
        }

        /// <summary>A round of heartbeat and ownership, by hand (for tests that look between steps).</summary>
        public async Task RoundAsync()
        {
            await Membership.BeatAsync();
            await Ownership.RunRoundAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stopped)
            {
                await Ownership.StopAsync(default);
                await Membership.StopAsync(default);
                Ownership.Dispose();
                Membership.Dispose();
            }
            await Redis.DisposeAsync();
        }
    }
}
