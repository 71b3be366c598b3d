using System.Collections.Concurrent;
using Newtonsoft.Json;
using Realtime.Relay.Presence;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Presence in a cluster (docs/cluster.md, "Presence"): every report is kept in Redis (<see cref="IRosterStore"/>);
/// the node that receives it applies it only if it holds the reporter's lease or takes it because it is free.
/// Otherwise it nudges the holder, which applies the kept report at once (<see cref="PresenceTakeover"/>; its next round
/// if the nudge is lost). The holder keeps its players' seats in Redis too, for every node's <c>GET players</c>.
/// </summary>
public sealed class RedisPresenceHolding(IRosterStore rosters, RedisLeases leases, INodeMembership membership, ClusterOptions options,
    RedisPresenceNudges nudges) : IPresenceHolding
{
    private readonly ConcurrentDictionary<string, string> _written = new(StringComparer.Ordinal); // reporter → seats last stored

    public Task<RosterReport?> RecordAsync(RosterReport report) => rosters.SaveAsync(report);

    public async Task<bool> HoldAsync(string reporterKey)
    {
        var key = RedisKeys.PresenceLease(reporterKey);
        if (await leases.RenewAsync(key, membership.NodeId, options.PresenceLease)
            || await leases.TryAcquireAsync(key, membership.NodeId, options.PresenceLease)) return true;
        _written.TryRemove(reporterKey, out _);
        await nudges.ReportKeptAsync(reporterKey);
        return false;
    }

    public async Task ForgetAsync(string reporterKey)
    {
        _written.TryRemove(reporterKey, out _);
        await rosters.RemoveAsync(reporterKey);
        await leases.ReleaseAsync(RedisKeys.PresenceLease(reporterKey), membership.NodeId);
    }

    /// <summary>Stores the seats if they changed since this node last stored them, keeping each player's earlier <c>since</c>
    /// (a player handed over from another node joined when they first joined, not when the new holder connected them).</summary>
    public async Task SeatedAsync(ReporterSeats seats)
    {
        var key = seats.ReporterKey;
        if (_written.TryGetValue(key, out var last) && last == JsonConvert.SerializeObject(seats)) return;
        var before = (await rosters.SeatsAsync([key]))[0]?.Players.ToDictionary(p => p.UserId);
        var merged = seats with
        {
            Players = seats.Players.Select(p => before?.TryGetValue(p.UserId, out var b) == true && b.Since < p.Since ? p with { Since = b.Since } : p).ToList(),
        };
        if (await rosters.SaveSeatsAsync(merged, membership.NodeId)) _written[key] = JsonConvert.SerializeObject(seats);
        else _written.TryRemove(key, out _);
    }
}
