namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Presence in a cluster (docs/cluster.md, "Presence"): every report is kept in Redis (<see cref="IRosterStore"/>);
/// the node that receives it applies it only if it holds the reporter's lease or takes it because it is free.
/// Otherwise the holder applies the kept report at its next round (<see cref="PresenceTakeover"/>).
/// </summary>
public sealed class RedisPresenceHolding(IRosterStore rosters, RedisLeases leases, INodeMembership membership, ClusterOptions options)
    : IPresenceHolding
{
    public Task<RosterReport?> RecordAsync(RosterReport report) => rosters.SaveAsync(report);

    public async Task<bool> HoldAsync(string reporterKey)
    {
        var key = RedisKeys.PresenceLease(reporterKey);
        return await leases.RenewAsync(key, membership.NodeId, options.PresenceLease)
               || await leases.TryAcquireAsync(key, membership.NodeId, options.PresenceLease);
    }

    public async Task ForgetAsync(string reporterKey)
    {
        await rosters.RemoveAsync(reporterKey);
        await leases.ReleaseAsync(RedisKeys.PresenceLease(reporterKey), membership.NodeId);
    }
}
