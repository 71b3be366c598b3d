using Realtime.Relay.Presence;
using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Each round (<see cref="ClusterOptions.Renew"/>): renews the presence leases of the reporters this node holds (one
/// lost is released: its connections close), applies reports other nodes received for them, takes over reporters whose
/// holder died (lease lapsed, roster younger than the silence) by connecting their players from the kept roster, and
/// rebalances: a node above its share offers reporters; a node below it connects their players first and moves the
/// lease only once they are all members, so the old holder disconnects after Pusher already counts the new connections
/// (presence dedupes by user id) and dashboards see no one leave. Between rounds it answers nudges
/// (<see cref="RedisPresenceNudges"/>): a kept report is applied at once, and a stopping node's reporters are taken the
/// same way (<see cref="StoppingAsync"/>).
/// </summary>
public sealed class PresenceTakeover(
    PresenceRoster roster, IRosterStore rosters, RedisLeases leases, IConnectionMultiplexer redis, INodeMembership membership,
    IPresenceHolding holding, RedisPresenceNudges nudges, ClusterOptions options, PresenceOptions presence, TimeProvider clock,
    ILogger<PresenceTakeover> log) : BackgroundService, IHostedLifecycleService
{
    private static readonly TimeSpan HandOverPoll = TimeSpan.FromMilliseconds(50);
    private readonly Dictionary<string, string> _taking = new(StringComparer.Ordinal); // reporter → node handing it over
    private readonly SemaphoreSlim _turn = new(1, 1); // rounds and nudges one at a time: _taking, and no older report after a newer one
    private static readonly TimeSpan SeatWatch = TimeSpan.FromSeconds(10);
    private volatile bool _stopping;
    private int _listening;
    private string Node => membership.NodeId;

    /// <summary>Raised with the reporters this node took over from a dead holder.</summary>
    public event Action<IReadOnlyList<string>>? TookOver;

    /// <summary>Starts hearing nudges from the other nodes (before the first round, so none falls between) and storing seats.</summary>
    public Task ListenAsync()
    {
        if (Interlocked.Exchange(ref _listening, 1) == 0) roster.Applied += key => _ = StoreSeatsAsync(key);
        return nudges.ListenAsync(ApplyKeptAsync, TakeHandOffAsync);
    }

    /// <summary>
    /// After a report was applied here: stores its seats at once, and again as Pusher answers the joining ones (up to
    /// <see cref="SeatWatch"/>), so every node's <c>GET players</c> sees them become members; later changes wait for a round.
    /// </summary>
    private async Task StoreSeatsAsync(string reporterKey)
    {
        var until = clock.GetUtcNow() + SeatWatch;
        while (roster.SeatsOf(reporterKey) is { } seats)
        {
            try { await holding.SeatedAsync(seats); }
            catch (Exception e) when (ClusterRoundFailure.IsTransient(e)) { return; } // the next round stores them
            if (seats.Players.All(p => p.Pusher != GameRosters.Joining) || clock.GetUtcNow() > until) return;
            await Task.Delay(HandOverPoll);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try { await ListenAsync(); }
        catch (Exception e) when (e is RedisException or TimeoutException) { log.LogWarning("Cluster: presence nudges cannot be heard ({Reason}); rounds only", e.Message); }
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
        await _turn.WaitAsync();
        try { await RoundAsync(); }
        finally { _turn.Release(); }
    }

    private async Task RoundAsync()
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
            else if (roster.SeatsOf(key) is { } seats)
                await holding.SeatedAsync(seats); // a seat may have become a member (or been refused) since
        }
        await FinishHandOversAsync(kept.ContainsKey);
        if (_stopping) return; // a stopping node takes nothing new

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

    private async Task FinishHandOversAsync(Func<string, bool> stillKept)
    {
        foreach (var (key, from) in _taking.ToList())
        {
            if (!roster.IsSeated(key)) continue;
            _taking.Remove(key);
            var lease = RedisKeys.PresenceLease(key);
            if (!stillKept(key) || !(await leases.HandOverAsync(lease, from, Node, options.PresenceLease)
                                     || await leases.TryAcquireAsync(lease, Node, options.PresenceLease)))
                await roster.ReleaseAsync(key);
            else
            {
                log.LogInformation("Cluster: {Node} holds the players of {Reporter}, handed over by {From}", Node, key, from);
                // A report the old holder applied itself while this node connected (it still held the lease) is applied here now.
                if (await rosters.GetAsync(key) is { } latest && roster.Held.TryGetValue(key, out var applied) && latest.ReportedAt > applied)
                    await roster.ApplyAsync(latest);
                else if (roster.SeatsOf(key) is { } seats) await holding.SeatedAsync(seats);
            }
        }
    }

    /// <summary>Nudge: another node kept a report for a reporter; if this node holds it, it applies it now.</summary>
    public async Task ApplyKeptAsync(string reporterKey)
    {
        await _turn.WaitAsync();
        try
        {
            if (!roster.Held.TryGetValue(reporterKey, out var lastApplied)) return;
            if (await rosters.GetAsync(reporterKey) is { } report && report.ReportedAt > lastApplied) await roster.ApplyAsync(report);
        }
        catch (Exception e) when (ClusterRoundFailure.IsTransient(e)) { } // the next round applies it
        finally { _turn.Release(); }
    }

    /// <summary>
    /// Nudge: <paramref name="from"/> is stopping and hands <paramref name="reporterKeys"/> to this node. Connects their players
    /// from the kept rosters, then moves each lease as soon as all its players are members (within the hand-over budget).
    /// </summary>
    public async Task TakeHandOffAsync(string from, IReadOnlyList<string> reporterKeys)
    {
        var taking = new List<string>();
        await _turn.WaitAsync();
        try
        {
            foreach (var key in reporterKeys)
            {
                if (_stopping || roster.Held.ContainsKey(key) || await leases.HolderAsync(RedisKeys.PresenceLease(key)) != from) continue;
                if (await rosters.GetAsync(key) is not { } report) continue;
                _taking[key] = from;
                taking.Add(key);
                await roster.ApplyAsync(report); // connect first; the lease moves once all are members
            }
        }
        catch (Exception e) when (ClusterRoundFailure.IsTransient(e)) { log.LogWarning("Cluster: taking {From}'s reporters failed ({Reason})", from, e.Message); }
        finally { _turn.Release(); }

        var until = clock.GetUtcNow() + options.PresenceHandOver;
        while (taking.Count > 0 && clock.GetUtcNow() < until)
        {
            await Task.Delay(HandOverPoll);
            await _turn.WaitAsync();
            try
            {
                await FinishHandOversAsync(_ => true);
                taking.RemoveAll(k => !_taking.ContainsKey(k));
            }
            catch (Exception e) when (ClusterRoundFailure.IsTransient(e)) { }
            finally { _turn.Release(); }
        }
        // Any left in _taking are finished (or released) by the next rounds, as a rebalance is.
    }

    /// <summary>
    /// A clean stop, before any service stops: offers every reporter this node holds to the other live nodes (round robin), waits
    /// up to <see cref="ClusterOptions.PresenceHandOver"/> for their leases to move (each taker connects first), and lets go of
    /// those at once. Reporters not taken in time are released when the roster closes, as a node without a cluster does.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        List<string> mine;
        IReadOnlyList<string> others;
        try
        {
            await _turn.WaitAsync(cancellationToken);
            try
            {
                mine = roster.Held.Keys.Where(k => !_taking.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
                others = (await membership.LiveNodesAsync()).Where(n => n != Node).ToList();
                if (mine.Count == 0 || others.Count == 0) return;
                for (var i = 0; i < others.Count; i++)
                    await nudges.HandOffAsync(others[i], mine.Where((_, n) => n % others.Count == i).ToList());
            }
            finally { _turn.Release(); }

            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(options.PresenceHandOver);
            var left = mine;
            while (left.Count > 0 && !budget.IsCancellationRequested)
            {
                await Task.Delay(HandOverPoll, budget.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                var holders = await leases.HoldersAsync(left.Select(RedisKeys.PresenceLease).ToList());
                var moved = left.Where((_, i) => holders[i] != Node).ToList();
                foreach (var key in moved) await roster.ReleaseAsync(key); // the new holder's players are members already
                left = left.Except(moved).ToList();
            }
            log.LogInformation("Cluster: {Node} handed {Moved} of {Count} presence reporters over before stopping", Node, mine.Count - left.Count, mine.Count);
        }
        catch (Exception e) when (ClusterRoundFailure.IsTransient(e) || e is OperationCanceledException)
        {
            log.LogWarning("Cluster: handing presence over on stop failed ({Reason}); the rest are released", e.Message);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
