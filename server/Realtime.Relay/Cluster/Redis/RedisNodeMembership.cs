using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Heartbeats in Redis: every renewal this node sets <c>relay:cluster:node:&lt;id&gt;</c> with the lease's
/// time-to-live and adds its id to a set; a node whose key expired is gone and is pruned from the set.
/// </summary>
public sealed class RedisNodeMembership(IConnectionMultiplexer redis, NodeIdentity identity, ClusterOptions options)
    : BackgroundService, INodeMembership
{
    private volatile bool _left;

    public string NodeId => identity.NodeId;

    public async Task BeatAsync()
    {
        if (_left) return; // a clean stop has begun: beating again would count this node back in
        var db = redis.GetDatabase();
        await db.StringSetAsync(RedisKeys.Heartbeat(NodeId), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), options.Lease);
        await db.SetAddAsync(RedisKeys.Nodes, NodeId);
    }

    public async Task<IReadOnlyList<string>> LiveNodesAsync()
    {
        var db = redis.GetDatabase();
        var members = (await db.SetMembersAsync(RedisKeys.Nodes)).Select(m => (string)m!).ToList();
        var beats = members.Count == 0 ? [] : await db.StringGetAsync(members.Select(m => (RedisKey)RedisKeys.Heartbeat(m)).ToArray());
        var live = new List<string>();
        for (var i = 0; i < members.Count; i++)
        {
            if (!beats[i].IsNull) live.Add(members[i]);
            else await db.SetRemoveAsync(RedisKeys.Nodes, members[i]);
        }
        if (!live.Contains(NodeId)) live.Add(NodeId); // a node counts itself even between beats
        live.Sort(StringComparer.Ordinal);
        return live;
    }

    /// <summary>Leaves the cluster at once on a clean stop, so the others rebalance without waiting for the lease.</summary>
    public async Task LeaveAsync()
    {
        _left = true;
        var db = redis.GetDatabase();
        await db.KeyDeleteAsync(RedisKeys.Heartbeat(NodeId));
        await db.SetRemoveAsync(RedisKeys.Nodes, NodeId);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Renew);
        try
        {
            do
            {
                try { await BeatAsync(); }
                catch (Exception e) when (ClusterRoundFailure.IsTransient(e)) { /* the next beat tries again; leases say the rest */ }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try { await LeaveAsync(); }
        catch (Exception e) when (e is RedisException or TimeoutException) { }
    }
}
