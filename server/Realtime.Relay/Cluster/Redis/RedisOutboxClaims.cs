using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Per-sender claims in Redis (<c>relay:cluster:outbox-claim:&lt;inbox&gt;</c>, SET NX PX), renewed while the
/// batch is being published and released once it is completed. A node that dies mid-batch stops renewing;
/// its claim lapses after <see cref="ClusterOptions.Lease"/> and another node publishes those entries.
/// </summary>
public sealed class RedisOutboxClaims(IConnectionMultiplexer redis, INodeMembership membership, ClusterOptions options) : IOutboxClaims
{
    private readonly RedisLeases _leases = new(redis);
    private readonly string _node = membership.NodeId;
    private readonly ClusterOptions _options = options;
    private readonly CancellationTokenSource _alive = new();

    public bool IsShared => true;

    /// <summary>Stops renewing every claim without releasing any: what a crash looks like to the others (tests).</summary>
    internal void StopRenewing() => _alive.Cancel();

    public async Task<IOutboxClaim> ClaimAsync(IReadOnlyCollection<string> senders)
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sender in senders)
        {
            var key = RedisKeys.OutboxClaim(sender);
            if (await _leases.TryAcquireAsync(key, _node, _options.Lease)) held.Add(sender);
            // Re-entrant: this node may hold it already (e.g. a batch retried after a failure).
            else if (await _leases.RenewAsync(key, _node, _options.Lease)) held.Add(sender);
        }
        return new Claim(this, held);
    }

    private sealed class Claim : IOutboxClaim
    {
        private readonly RedisOutboxClaims _owner;
        private readonly CancellationTokenSource _done;
        private readonly Task _renewing;

        public Claim(RedisOutboxClaims owner, HashSet<string> senders)
        {
            _owner = owner;
            Senders = senders;
            _done = CancellationTokenSource.CreateLinkedTokenSource(owner._alive.Token);
            _renewing = senders.Count == 0 ? Task.CompletedTask : RenewAsync(_done.Token);
        }

        public IReadOnlySet<string> Senders { get; }

        private async Task RenewAsync(CancellationToken ct)
        {
            using var timer = new PeriodicTimer(_owner._options.Renew);
            try
            {
                while (await timer.WaitForNextTickAsync(ct))
                {
                    foreach (var sender in Senders)
                        await _owner._leases.RenewAsync(RedisKeys.OutboxClaim(sender), _owner._node, _owner._options.Lease);
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) when (e is RedisException or TimeoutException) { /* lapses; another node takes the sender on */ }
        }

        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            var crashed = _owner._alive.IsCancellationRequested;
            await _done.CancelAsync();
            await _renewing;
            _done.Dispose();
            if (crashed) return;
            foreach (var sender in Senders)
            {
                try { await _owner._leases.ReleaseAsync(RedisKeys.OutboxClaim(sender), _owner._node); }
                catch (Exception e) when (e is RedisException or TimeoutException) { }
            }
        }
    }
}
