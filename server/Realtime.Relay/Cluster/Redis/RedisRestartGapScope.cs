using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// A starting node's restart gap in a cluster (docs/cluster.md, "Restarts"). Asked before the node takes any
/// channel, it reads each channel's lease and last owner:
/// <list type="bullet">
/// <item>held by another node: that node heard it (or, if it is dead, whoever takes the lapsed lease tells
/// <c>node_failed</c>) — no restart gap;</item>
/// <item>held by this node (it was killed and came back before its lease lapsed), or free and last owned by this
/// node, or never owned: nobody heard it — gap. This node takes such a channel back without a takeover gap; should
/// another node take it first, its <c>node_failed</c> gap comes as well (two gaps, never none);</item>
/// <item>free and last owned by another node: whoever takes it tells <c>node_failed</c>, or, if that is the last
/// owner coming back, its own restart gap — no gap from this node.</item>
/// </list>
/// With no other live node (one node, or the whole cluster was down) every channel gets its gap, as on one relay.
/// </summary>
public sealed class RedisRestartGapScope(IConnectionMultiplexer redis, INodeMembership membership) : IRestartGapScope
{
    public async Task<IReadOnlySet<string>> MissedWhileDownAsync(IReadOnlyCollection<string> channels)
    {
        var all = channels.ToHashSet(StringComparer.Ordinal);
        var me = membership.NodeId;
        if ((await membership.LiveNodesAsync()).All(n => n == me)) return all;
        var names = all.ToList();
        var db = redis.GetDatabase();
        var leases = await db.StringGetAsync(names.Select(c => (RedisKey)RedisKeys.ChannelLease(c)).ToArray());
        var lastOwners = await db.StringGetAsync(names.Select(c => (RedisKey)RedisKeys.ChannelLastOwner(c)).ToArray());
        var missed = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var holder = leases[i].IsNull ? null : (string?)leases[i];
            var lastOwner = lastOwners[i].IsNull ? null : (string?)lastOwners[i];
            var unheard = holder is null ? lastOwner is null || lastOwner == me : holder == me;
            if (unheard) missed.Add(names[i]);
        }
        return missed;
    }
}
