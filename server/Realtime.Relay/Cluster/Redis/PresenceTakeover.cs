using Realtime.Relay.Presence;
using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Each round (<see cref="ClusterOptions.Renew"/>): renews the presence leases of the reporters this node holds (one
/// lost is released: its connections close), applies reports other nodes received for them, takes over reporters whose
/// holder died (lease lapsed, roster younger than the silence) by connecting their players from the kept roster, and
/// rebalances: a node above its share offers reporters; a node below it connects their players first and moves the
/// lease only once they are all members, so the old holder disconnects after Pusher already counts the new connections
/// (presence dedupes by user id) and dashboards see no one leave.
/// </summary>
public sealed class PresenceTakeover(
    PresenceRoster roster, IRosterStore rosters, RedisLeases leases, IConnectionMultiplexer redis, INodeMembership membership,
    ClusterOptions options, PresenceOptions presence, TimeProvider clock, ILogger<PresenceTakeover> log) : BackgroundService
{
    private readonly Dictionary<string, string> _taking = new(StringComparer.Ordinal); // reporter → node handing it over
    private string Node => membership.NodeId;

    /// <summary>Raised with the reporters this node took over from a dead holder.</summary>
    public event Action<IReadOnlyList<string>>? TookOver;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Renew);
        try
        {
            do
            {
                try { await RunRoundAsync(); }
                catch (Exception e) when (ClusterRoundFailure.IsTransient(e))
                {
                    log.LogWarning("Cluster: a presence round failed ({Reason}); trying again", e.Message);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Cluster: a presence round failed unexpectedly; trying again");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) { }
    }

    public async Task RunRoundAsync()
    {
        var now = clock.GetUtcNow();
        var kept = (await rosters.AllAsync()).ToDictionary(r => r.ReporterKey, StringComparer.Ordinal);
        var held = roster.Held;
        foreach (var (key, lastApplied) in held)
        {
            if (_taking.ContainsKey(key)) continue;
            if (!kept.TryGetValue(key, out var report))
                await roster.ReleaseAsync(key); // forgotten on another node (session ended, plugin revoked)
            else if (!await leases.RenewAsync(RedisKeys.PresenceLease(key), Node, options.PresenceLease))
                await roster.ReleaseAsync(key); // handed over (or lost): the new holder is connected by now
            else if (report.ReportedAt > lastApplied)
                await roster.ApplyAsync(report);
        }
        await FinishHandOversAsync(kept);

        var live = kept.Values.Where(r => now - r.ReportedAt < presence.Silence).ToList();
        foreach (var stale in kept.Values.Except(live))
            if (await leases.HolderAsync(RedisKeys.PresenceLease(stale.ReporterKey)) is null) await rosters.RemoveAsync(stale.ReporterKey);

        var nodes = await membership.LiveNodesAsync();
        var share = (int)Math.Ceiling(live.Count / (double)Math.Max(1, nodes.Count));
        var mine = roster.Held.Keys.Where(k => !_taking.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var db = redis.GetDatabase();
        if (nodes.Count > 1)
            foreach (var key in mine.Skip(share)) await db.StringSetAsync(RedisKeys.PresenceOffer(key), Node, options.PresenceLease);

        var room = share - mine.Count - _taking.Count;
        var tookOver = new List<string>();
        foreach (var report in live.Where(r => !held.ContainsKey(r.ReporterKey)).OrderBy(r => r.ReporterKey, StringComparer.Ordinal))
        {
            var key = RedisKeys.PresenceLease(report.ReporterKey);
            var holder = await leases.HolderAsync(key);
            if (holder is null && await leases.TryAcquireAsync(key, Node, options.PresenceLease))
            {
                // Its holder died (or never applied it): connect its players from the kept roster, within the silence window.
                await roster.ApplyAsync(report);
                tookOver.Add(report.ReporterKey);
                room--;
            }
            else if (room > 0 && holder is not null && holder != Node && await db.StringGetAsync(RedisKeys.PresenceOffer(report.ReporterKey)) == holder)
            {
                _taking[report.ReporterKey] = holder;
                await roster.ApplyAsync(report); // connect first; the lease moves once all are members
                room--;
            }
        }
        if (tookOver.Count > 0)
        {
            log.LogInformation("Cluster: {Node} took over the players of {Count} reporters whose holder stopped renewing", Node, tookOver.Count);
            TookOver?.Invoke(tookOver);
        }
    }

    private async Task FinishHandOversAsync(Dictionary<string, RosterReport> kept)
    {
        foreach (var (key, from) in _taking.ToList())
        {
            if (!roster.IsSeated(key)) continue;
            _taking.Remove(key);
            var lease = RedisKeys.PresenceLease(key);
            if (!kept.ContainsKey(key) || !(await leases.HandOverAsync(lease, from, Node, options.PresenceLease)
                                            || await leases.TryAcquireAsync(lease, Node, options.PresenceLease)))
                await roster.ReleaseAsync(key);
            else log.LogInformation("Cluster: {Node} holds the players of {Reporter}, handed over by {From}", Node, key, from);
        }
    }
}
