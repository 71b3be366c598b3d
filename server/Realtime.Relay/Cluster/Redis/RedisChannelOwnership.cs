using System.Security.Cryptography;
using System.Text;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage.Redis;
using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Channel ownership across nodes (docs/cluster.md): each channel the inboxes want has one lease in
/// Redis, held by the node that subscribes it. Every round (<see cref="ClusterOptions.Renew"/>) a node
/// renews its leases (a lost one is unsubscribed at once), takes free channels up to its share
/// (ceil(channels / live nodes)), offers channels above its share, and takes offered ones while
/// under its share: the taker subscribes first and moves the lease only once Pusher confirmed and the owner has seen
/// that (so the owner was alive and hearing until then), so nothing is missed; while both hear the channel they store
/// an event only if no one stored the same (event, data, user) on that channel within the hand-over window. A channel taken after its
/// lease expired (its owner died) gets <c>relay:gap</c> once the new owner hears it, and before any
/// event of that channel the new owner stores. Leases are renewed on a thread of their own, so a round busy
/// taking hundreds of channels never starves them; each lease taken raises the channel's epoch, and a node
/// stores only under the epoch it holds, so one whose lease lapsed cannot store after the takeover ("Fencing").
/// </summary>
public sealed partial class RedisChannelOwnership : BackgroundService, IChannelOwnership
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisLeases _leases;
    private readonly RedisChannelFences _fences;
    private readonly INodeMembership _membership;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<RedisChannelOwnership> _log;
    private readonly object _gate = new();
    private readonly HashSet<string> _wanted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _owned = new(StringComparer.Ordinal); // channel → dedupe until
    private readonly HashSet<string> _offered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Take> _taking = new(StringComparer.Ordinal); // channel → this node's take of it
    private readonly Dictionary<string, long> _epochs = new(StringComparer.Ordinal); // owned or being taken → lease epoch stored under
    private readonly ChannelRouter _router;
    private readonly TakeoverGaps _takeoverGaps; // taken from a node that never handed them over, gap not stored yet
    private readonly HashSet<string> _lapsed = new(StringComparer.Ordinal); // lost because this node's own lease expired
    private DateTimeOffset _keysKeptAt;
    private readonly HashSet<string> _freeLastRound = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _round = new(1, 1);
    private Action<ChannelDemandChange>? _follower;
    private Func<string, bool> _isSubscribed = _ => false;
    private TaskCompletionSource _demandChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RedisChannelOwnership(IConnectionMultiplexer redis, RedisChannelFences fences, INodeMembership membership, ChannelRouter router,
        ClusterOptions options, TimeProvider clock, ILogger<RedisChannelOwnership> log)
    {
        _redis = redis;
        _leases = new RedisLeases(redis);
        _fences = fences;
        _takeoverGaps = new TakeoverGaps(router);
        _router = router;
        _membership = membership;
        _options = options;
        _clock = clock;
        _log = log;
        lock (_gate) _wanted.UnionWith(router.FollowDemand(OnDemand));
    }

    public string NodeId => _membership.NodeId;

    /// <summary>Channels this node owns now (tests and /readyz).</summary>
    public IReadOnlyList<string> Owned
    {
        get { lock (_gate) return _owned.Keys.Order(StringComparer.Ordinal).ToList(); }
    }

    /// <summary>Raised once the relay:gap of channels taken from a dead node is stored in their inboxes.</summary>
    public event Action<IReadOnlyList<string>>? TookOver
    {
        add => _takeoverGaps.Told += value;
        remove => _takeoverGaps.Told -= value;
    }

    public IReadOnlyList<string> Follow(Action<ChannelDemandChange> follower, Func<string, bool> isSubscribed)
    {
        lock (_gate)
        {
            _follower += follower;
            _isSubscribed = isSubscribed;
            return _owned.Keys.Concat(_taking.Keys).ToList();
        }
    }

    private void OnDemand(ChannelDemandChange change)
    {
        lock (_gate)
        {
            if (change.Wanted) _wanted.Add(change.Channel);
            else _wanted.Remove(change.Channel);
        }
        Interlocked.Exchange(ref _demandChanged, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async ValueTask<IncomingEvent?> AdmitAsync(IncomingEvent heard)
    {
        bool dedupe, gapFirst;
        long epoch;
        HandedOver? handedOver = null;
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (_owned.TryGetValue(heard.Channel, out var until)) dedupe = until > now || _offered.Contains(heard.Channel);
            else if (_taking.ContainsKey(heard.Channel)) dedupe = true;
            else if (!_handedOver.TryGetValue(heard.Channel, out handedOver)) return null; // lost or never ours: its owner stores it
            else dedupe = true;
            epoch = _epochs.GetValueOrDefault(heard.Channel);
            gapFirst = _takeoverGaps.IsOwed(heard.Channel);
        }
        if (handedOver is not null) return await AdmitHandedOverAsync(heard, handedOver);
        // The first event the new owner of a dead node's channel hears: its subscription is confirmed, so the
        // inboxes are told relay:gap now, before this event is stored (the feed stores a channel's events in order).
        if (gapFirst) await _takeoverGaps.TellAsync([heard.Channel]);
        var admitted = heard with { LeaseEpoch = epoch };
        if (!dedupe) return admitted;
        return await IsFirstToStoreAsync(admitted) ? admitted : null;
    }

    /// <summary>During a hand-over both nodes hear the channel: the first to claim the event stores it.</summary>
    private Task<bool> IsFirstToStoreAsync(IncomingEvent admitted)
    {
        // Per epoch: both sides of a hand-over share one (it moves the lease, not the epoch), while a node whose lease
        // lapsed keeps its old one, and what it heard (refused by the store) never hides an event from the new owner.
        var key = RedisKeys.Heard(admitted.Channel, admitted.LeaseEpoch + ":" + Fingerprint(admitted));
        return _redis.GetDatabase().StringSetAsync(key, NodeId, _options.HandOverWindow, When.NotExists);
    }

    private static string Fingerprint(IncomingEvent e) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(e.Event + "\n" + (e.UserId ?? "") + "\n" + e.Data)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        new Thread(() => RenewUntil(stoppingToken)) { IsBackground = true, Name = "channel lease renewal" }.Start();
        while (!stoppingToken.IsCancellationRequested)
        {
            var demand = Volatile.Read(ref _demandChanged).Task;
            try { await RunRoundAsync(); }
            catch (Exception e) when (ClusterRoundFailure.IsTransient(e))
            {
                _log.LogWarning("Cluster: a channel ownership round failed ({Reason}); trying again", e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogError(e, "Cluster: a channel ownership round failed unexpectedly; trying again");
            }
            // While a hand-over is under way its steps (ready, seen, lease moved) wait for this node's rounds: a quarter round.
            bool taking;
            lock (_gate) taking = HandOverUnderWay();
            try { await demand.WaitAsync(taking ? _options.Renew / 4 : _options.Renew, stoppingToken); }
            catch (TimeoutException) { }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>
    /// A take whose subscription is confirmed, or was started less than a lease ago (its confirmation is due): a
    /// subscription Pusher keeps refusing does not keep this node's rounds fast.
    /// </summary>
    private bool HandOverUnderWay()
    {
        var recent = _clock.GetUtcNow() - _options.Lease;
        return _taking.Any(t => _isSubscribed(t.Key) || t.Value.Since > recent);
    }

    /// <param name="From">The node handing the channel over.</param>
    /// <param name="Ready">What this take writes to <c>channel-ready</c>: this node and a token no other take has.</param>
    private sealed record Take(string From, string Ready, DateTimeOffset Since);

    /// <summary>One round: renew, let go of what is lost or unwanted, finish hand-overs, offer the surplus, take up to the share.</summary>
    public async Task RunRoundAsync()
    {
        await _round.WaitAsync();
        try
        {
            if (_stopping) return; // handing its channels over before a clean stop (RedisChannelOwnership.CleanStop.cs)
            var nodes = await _membership.LiveNodesAsync();
            await RenewAsync();
            await FinishHandOversAsync();
            int share, owned;
            List<string> candidates;
            lock (_gate)
            {
                share = (int)Math.Ceiling(_wanted.Count / (double)Math.Max(1, nodes.Count));
                owned = _owned.Count + _taking.Count;
                candidates = _wanted.Where(c => !_owned.ContainsKey(c) && !_taking.ContainsKey(c)).Order(StringComparer.Ordinal).ToList();
            }
            await OfferAsync(nodes.Count > 1 ? Math.Max(0, owned - share) : 0);
            await SeeReadyTakersAsync();
            await TakeAsync(candidates, share - owned);
            // Taken-over channels whose subscription is confirmed but that heard no event yet.
            await _takeoverGaps.TellConfirmedAsync(_isSubscribed);
        }
        finally
        {
            _round.Release();
        }
    }

    /// <param name="lapsed">
    /// Its lease expired and nobody holds it: if this node takes it again, what was published meanwhile reached
    /// nobody, and the inboxes get <c>relay:gap</c> (<c>lease_lost</c>) as from any other new owner.
    /// </param>
    /// <param name="handedOver">Its lease moved to a taker: what this node heard before letting go is still stored.</param>
    private void Drop(string channel, string why, bool lapsed = false, bool handedOver = false)
    {
        Action<ChannelDemandChange>? tell;
        lock (_gate)
        {
            var wasOwned = _owned.ContainsKey(channel);
            if (!(_owned.Remove(channel) | _taking.Remove(channel))) return;
            if (handedOver && wasOwned) RememberHandedOver(channel, _epochs.GetValueOrDefault(channel));
            _epochs.Remove(channel);
            if (lapsed) _lapsed.Add(channel);
            _offered.Remove(channel);
            _takeoverGaps.Forget(channel);
            tell = _follower;
        }
        _log.LogInformation("Cluster: {Node} lets go of {Channel}: {Why}", NodeId, channel, why);
        tell?.Invoke(new ChannelDemandChange(channel, Wanted: false));
    }

    /// <summary>
    /// The taker's side of a hand-over (docs/cluster.md, "Hand-over without loss"). Once Pusher has confirmed its
    /// subscription it says so (<c>channel-ready</c>, with a token of this take), and moves the lease to itself only
    /// after the owner has seen that (<c>channel-ready-seen</c>, <see cref="SeeReadyTakersAsync"/>): the owner was
    /// alive and hearing after the confirmation. An owner that died before leaves a lease that lapses, and the channel
    /// is taken over with relay:gap, covering what was published between the death and this node's subscription.
    /// </summary>
    private async Task FinishHandOversAsync()
    {
        List<(string Channel, string From, string Ready)> confirmed;
        lock (_gate)
            confirmed = _taking.Where(t => _isSubscribed(t.Key)).Select(t => (t.Key, t.Value.From, t.Value.Ready)).ToList();
        if (confirmed.Count == 0) return;
        var holders = await _leases.HoldersAsync(confirmed.Select(t => RedisKeys.ChannelLease(t.Channel)).ToList());
        var offers = await _leases.HoldersAsync(confirmed.Select(t => RedisKeys.ChannelOffer(t.Channel)).ToList());
        var seen = await _leases.HoldersAsync(confirmed.Select(t => RedisKeys.ChannelReadySeen(t.Channel)).ToList());
        var db = _redis.GetDatabase();
        for (var i = 0; i < confirmed.Count; i++)
        {
            var (channel, from, ready) = confirmed[i];
            // Already this node's: a round that moved the lease failed before it could count the channel as owned (only
            // this process's take moves a lease to this node while it is taking it).
            var moved = holders[i] == NodeId;
            if (moved || (holders[i] == from && seen[i] == ready))
            {
                if (!moved && !await _leases.HandOverAsync(RedisKeys.ChannelLease(channel), from, NodeId, _options.Lease)) continue; // next round sees why
                // A hand-over keeps the epoch: both nodes store (deduplicated) until the old owner lets go.
                var epoch = (await _fences.CurrentAsync([channel]))[0];
                await db.StringSetAsync(RedisKeys.ChannelLastOwner(channel), NodeId, TimeSpan.FromDays(1));
                await ForgetReadyAsync(channel, ready);
                lock (_gate)
                {
                    if (!_taking.Remove(channel)) continue; // dropped meanwhile
                    _owned[channel] = _clock.GetUtcNow() + _options.HandOverWindow;
                    _epochs[channel] = epoch;
                }
                _log.LogInformation("Cluster: {Node} took {Channel} over from {From}", NodeId, channel, from);
            }
            else if (holders[i] == from && offers[i] == from)
            {
                // Written again each round: it lives one lease, like the offer.
                await db.StringSetAsync(RedisKeys.ChannelReady(channel), ready, _options.Lease);
            }
            else
            {
                await ForgetReadyAsync(channel, ready);
                if (holders[i] is null && await AcquireFreeAsync(channel))
                {
                    // Free instead of handed over: its holder released it (a clean stop past its budget), died, or its
                    // lease lapsed. It may have stopped hearing before this node's subscription was confirmed, so this is
                    // a takeover: a new epoch fences the old holder, and its inboxes get relay:gap.
                }
                else
                {
                    Drop(channel, holders[i] == from ? "the hand-over was withdrawn" : "another node took it");
                }
            }
        }
    }

    private Task ForgetReadyAsync(string channel, string ready) => Task.WhenAll(
        _leases.ReleaseAsync(RedisKeys.ChannelReady(channel), ready), _leases.ReleaseAsync(RedisKeys.ChannelReadySeen(channel), ready));

    /// <summary>
    /// The owner's side: for each channel it offers, and hears, whose taker said it is ready, it answers with the same
    /// token. The answer only lets that take go on (the taker moves the lease); a taker that stopped, restarted or dropped the
    /// take meanwhile has no such take any more and ignores it, so no lease is moved to a node that would not hear it.
    /// </summary>
    private async Task SeeReadyTakersAsync()
    {
        List<string> offered;
        lock (_gate) offered = _offered.Where(_owned.ContainsKey).Order(StringComparer.Ordinal).ToList();
        if (offered.Count == 0) return;
        var ready = await _leases.HoldersAsync(offered.Select(RedisKeys.ChannelReady).ToList());
        var db = _redis.GetDatabase();
        for (var i = 0; i < offered.Count; i++)
        {
            // Only while this node hears the channel itself: after a reconnect its resume gap covers what it missed, but
            // a channel let go before the resubscription would leave that window unannounced.
            if (ready[i] is { } taker && _isSubscribed(offered[i]))
                await db.StringSetAsync(RedisKeys.ChannelReadySeen(offered[i]), taker, _options.Lease);
        }
    }

    private async Task OfferAsync(int surplus)
    {
        List<string> offer, withdrawn;
        lock (_gate)
        {
            offer = _owned.Keys.Order(StringComparer.Ordinal).Take(surplus).ToList();
            withdrawn = _offered.Except(offer).ToList();
        }
        // Withdrawn before this node stops deduplicating them, so no taker starts on an offer it no longer stands by.
        foreach (var channel in withdrawn) await _leases.ReleaseAsync(RedisKeys.ChannelOffer(channel), NodeId);
        var db = _redis.GetDatabase();
        foreach (var channel in offer) await db.StringSetAsync(RedisKeys.ChannelOffer(channel), NodeId, _options.Lease);
        lock (_gate)
        {
            _offered.Clear();
            _offered.UnionWith(offer);
            // A taker that saw the offer may still finish after it is withdrawn: keep deduplicating while it could.
            var until = _clock.GetUtcNow() + _options.Lease + _options.HandOverWindow;
            foreach (var channel in offer.Where(_owned.ContainsKey)) if (_owned[channel] < until) _owned[channel] = until;
        }
    }

    private async Task TakeAsync(List<string> candidates, int room)
    {
        if (candidates.Count == 0) return;
        var holders = await _leases.HoldersAsync(candidates.Select(RedisKeys.ChannelLease).ToList());
        var offers = await _leases.HoldersAsync(candidates.Select(RedisKeys.ChannelOffer).ToList());
        // The epoch a taker stores under until the lease moves: the offering node's (a hand-over keeps it).
        var epochs = await _fences.CurrentAsync(candidates);
        var free = new HashSet<string>(StringComparer.Ordinal);
        var subscribe = new List<string>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var channel = candidates[i];
            if (holders[i] is null)
            {
                free.Add(channel);
                // Shares are computed from heartbeats that may be stale: a channel free two rounds running is taken anyway.
                bool overdue;
                lock (_gate) overdue = _freeLastRound.Contains(channel);
                if ((room > 0 || overdue) && await AcquireFreeAsync(channel))
                {
                    subscribe.Add(channel);
                    room--;
                }
            }
            else if (room > 0 && offers[i] is { } offeredBy && offeredBy == holders[i] && offeredBy != NodeId)
            {
                lock (_gate)
                {
                    _taking[channel] = new Take(offeredBy, NodeId + "/" + Guid.NewGuid().ToString("N"), _clock.GetUtcNow());
                    _handedOver.Remove(channel);
                    _epochs[channel] = epochs[i];
                }
                subscribe.Add(channel);
                room--;
            }
        }
        Action<ChannelDemandChange>? tell;
        lock (_gate)
        {
            _freeLastRound.Clear();
            _freeLastRound.UnionWith(free.Except(subscribe));
            tell = _follower;
        }
        foreach (var channel in subscribe) tell?.Invoke(new ChannelDemandChange(channel, Wanted: true));
    }

    private async Task<bool> AcquireFreeAsync(string channel)
    {
        if (!await _leases.TryAcquireAsync(RedisKeys.ChannelLease(channel), NodeId, _options.Lease)) return false;
        await OwnAsync(channel);
        return true;
    }

    /// <summary>
    /// A lease just taken with <c>SET NX</c>: the channel's epoch goes up (fencing off whoever held it before), and if
    /// that holder never handed it over, or this node's own lease had lapsed, its inboxes are owed a <c>relay:gap</c>.
    /// </summary>
    private async Task OwnAsync(string channel)
    {
        // Raised before the feed subscribes: an event the new subscription hears can no longer be stored by the old holder.
        var epoch = await _fences.AdvanceAsync(channel);
        var db = _redis.GetDatabase();
        var previous = await db.StringGetSetAsync(RedisKeys.ChannelLastOwner(channel), NodeId);
        await db.KeyExpireAsync(RedisKeys.ChannelLastOwner(channel), TimeSpan.FromDays(1));
        string? reason;
        lock (_gate)
        {
            _taking.Remove(channel);
            _handedOver.Remove(channel);
            _owned[channel] = _clock.GetUtcNow() + _options.HandOverWindow;
            _epochs[channel] = epoch;
            var lapsedHere = _lapsed.Remove(channel);
            // Someone held it and never handed it over: events published since its lease lapsed were heard by nobody
            // (and what it heard but had not stored is now refused). Likewise after this node's own lease lapsed.
            // Set with the ownership, before the feed is told to subscribe: no event of it is stored before this gap.
            reason = !previous.IsNull && previous != NodeId ? "node_failed" : lapsedHere ? "lease_lost" : null;
            if (reason is not null) _takeoverGaps.Owe(channel, reason);
        }
        _log.LogInformation("Cluster: {Node} owns {Channel} (epoch {Epoch}){TakenOver}", NodeId, channel, epoch,
            reason switch
            {
                "node_failed" => $" (taken over from {previous}, which stopped renewing)",
                "lease_lost" => " (again, after its own lease lapsed)",
                _ => "",
            });
    }

    /// <summary>
    /// A clean stop, once the Pusher feed has stopped: every lease still held (what the hand-over before the stop did not
    /// pass on) is released, so the others take those channels at their next round, with relay:gap.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        List<string> mine;
        lock (_gate) mine = _owned.Keys.ToList();
        try
        {
            foreach (var channel in mine) await _leases.ReleaseAsync(RedisKeys.ChannelLease(channel), NodeId);
        }
        catch (Exception e) when (e is RedisException or TimeoutException) { /* they expire on their own */ }
    }
}
