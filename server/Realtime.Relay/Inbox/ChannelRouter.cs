using Newtonsoft.Json.Linq;
using Prometheus;
using Realtime.Pusher.Validation;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Inbox;

/// <summary>
/// The first inbox started hearing <see cref="Channel"/> (<see cref="Wanted"/>: subscribe it on Pusher),
/// or the last one stopped (unsubscribe it).
/// </summary>
public sealed record ChannelDemandChange(string Channel, bool Wanted);

/// <summary>
/// Which inboxes hear which channel. The relay subscribes a channel once however many
/// clients hear it, fans each event out to those inboxes, and unsubscribes when none is left.
/// Restored from the inboxes' stored state at start-up. The relay's Pusher feed follows the channels
/// wanted here (<see cref="FollowDemand"/>) and hands back what it hears; the router does not know the feed.
/// </summary>
public sealed class ChannelRouter
{
    public const string GapEvent = "relay:gap";

    private static readonly Counter DroppedFromPusher = Metrics.CreateCounter("relay_pusher_events_dropped_total",
        "Events heard on Pusher and dropped for a name no client may receive (reason: invalid_name, reserved_name).", "reason");

    private readonly object _gate = new();
    private readonly Dictionary<string, HashSet<string>> _inboxesByChannel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _channelsByInbox = new(StringComparer.Ordinal);
    private readonly IInboxStore _inboxes;
    private Action<ChannelDemandChange>? _demandChanged;
    private readonly ILogger<ChannelRouter> _log;
    /// <summary>Channels whose events some inbox lost because storage failed; told as a gap once it works again.</summary>
    private readonly Dictionary<string, HashSet<string>> _missedByInbox = new(StringComparer.Ordinal);
    private volatile bool _hasMissed;
    /// <summary>Deliveries wait for the start-up gap, so a restored inbox hears relay:gap before any new event.</summary>
    private readonly TaskCompletionSource _restartGapTold = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChannelRouter(IInboxStore inboxes, IStorageRecovery storage, ILogger<ChannelRouter> log)
    {
        _inboxes = inboxes;
        _log = log;
        storage.Recovered += () => _ = ReportMissedAsync();
    }

    /// <summary>Every channel an inbox hears: its own first, then its subscriptions.</summary>
    public static IReadOnlyList<string> ChannelsOf(InboxState state) =>
        new[] { state.ToClient().OwnChannel }.Concat(state.Subscriptions).Distinct(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Channels
    {
        get { lock (_gate) return _inboxesByChannel.Keys.ToList(); }
    }

    /// <summary>
    /// Registers <paramref name="follower"/> for every later change and returns the channels wanted now, in one step:
    /// a change is either in the returned list or told to the follower, never both and never neither.
    /// Changes are told outside the router's lock.
    /// </summary>
    public IReadOnlyList<string> FollowDemand(Action<ChannelDemandChange> follower)
    {
        lock (_gate)
        {
            _demandChanged += follower;
            return _inboxesByChannel.Keys.ToList();
        }
    }

    /// <summary>
    /// An inbox's channels changed here (opened, closed, subscriptions set). In a cluster the other nodes'
    /// routers are told, so every node routes every inbox (docs/cluster.md, "Routes").
    /// </summary>
    public event Action<string>? InboxRoutesChanged;

    /// <summary>
    /// Makes the routes match the inbox's current channels. <paramref name="announce"/>: this node just changed the
    /// inbox in storage (opened, closed, subscriptions set), so the other nodes are told even if this router already
    /// had these routes: it may have routed the change early, from another node's message whose state it read after
    /// the write, while the others read that message's state before it (docs/cluster.md, "Routes").
    /// </summary>
    public void Update(InboxState state, bool announce = false) => Set(state.InboxId, ChannelsOf(state), announce);

    public void Remove(string inboxId, bool announce = false) => Set(inboxId, [], announce);

    private void Set(string inboxId, IReadOnlyList<string> channels, bool announce)
    {
        var subscribe = new List<string>();
        var unsubscribe = new List<string>();
        Action<ChannelDemandChange>? tell;
        bool changed;
        lock (_gate)
        {
            // Taken under the lock: a follower registered later has these channels in FollowDemand's list instead.
            tell = _demandChanged;
            var before = _channelsByInbox.GetValueOrDefault(inboxId) ?? [];
            changed = !before.SequenceEqual(channels);
            foreach (var channel in before.Except(channels))
            {
                if (_inboxesByChannel.TryGetValue(channel, out var set) && set.Remove(inboxId) && set.Count == 0)
                {
                    _inboxesByChannel.Remove(channel);
                    unsubscribe.Add(channel);
                }
            }
            foreach (var channel in channels.Except(before))
            {
                if (!_inboxesByChannel.TryGetValue(channel, out var set))
                {
                    _inboxesByChannel[channel] = set = new HashSet<string>(StringComparer.Ordinal);
                    subscribe.Add(channel);
                }
                set.Add(inboxId);
            }
            if (channels.Count == 0) _channelsByInbox.Remove(inboxId);
            else _channelsByInbox[inboxId] = channels;
        }
        if (changed || announce) InboxRoutesChanged?.Invoke(inboxId);
        if (tell is null) return;
        foreach (var channel in unsubscribe) tell(new ChannelDemandChange(channel, Wanted: false));
        foreach (var channel in subscribe) tell(new ChannelDemandChange(channel, Wanted: true));
    }

    /// <summary>The inboxes that hear <paramref name="channel"/>, leaving out <paramref name="exceptInboxId"/> (a publisher).</summary>
    public IReadOnlyList<string> InboxesFor(string channel, string? exceptInboxId = null)
    {
        lock (_gate)
        {
            if (!_inboxesByChannel.TryGetValue(channel, out var set)) return [];
            return set.Where(i => i != exceptInboxId).ToList();
        }
    }

    /// <summary>
    /// An event heard on Pusher: stored in every inbox on that channel. Names are checked here,
    /// where they enter from Pusher: one carrying control characters or line breaks, or posing
    /// as the relay's own (<c>relay:</c> in any case or padding), is dropped, logged and counted
    /// (<c>relay_pusher_events_dropped_total</c>); the channel's other events flow on. After a
    /// start, nothing is stored before the restart's <c>relay:gap</c>.
    /// </summary>
    public async Task DeliverAsync(IncomingEvent e) => await await QueueAsync(e);

    /// <summary>
    /// <see cref="DeliverAsync"/> in two steps: completes once the event is queued for storage, with the task of its
    /// storing (an event that could not be stored is noted for <c>relay:gap</c> there, not thrown). When the store
    /// <see cref="IInboxStore.QueuesAppendsInOrder"/>, a channel's next event may be queued before this one is stored.
    /// </summary>
    public async Task<Task> QueueAsync(IncomingEvent e)
    {
        if (RefusalOfHeard(e) is { } reason)
        {
            DroppedFromPusher.WithLabels(reason).Inc();
            _log.LogWarning("Dropped an event heard on Pusher ({Reason}): channel '{Channel}', event '{Event}'",
                reason, WireNames.ForLog(e.Channel), WireNames.ForLog(e.Event));
            return Task.CompletedTask;
        }
        await _restartGapTold.Task;
        // A store that failed without the connection dropping (a Redis timeout, say) raises no Recovered: the next
        // event tells the gaps owed, so they are never held back for good.
        if (_hasMissed) await ReportMissedAsync();
        var inboxes = InboxesFor(e.Channel);
        if (inboxes.Count == 0) return Task.CompletedTask;
        return StoreAsync(inboxes, e);
    }

    /// <summary>Whether a channel's next event may be queued before the one before it is stored.</summary>
    public bool QueuesAppendsInOrder => _inboxes.QueuesAppendsInOrder;

    private async Task StoreAsync(IReadOnlyList<string> inboxes, IncomingEvent e)
    {
        try { await _inboxes.AppendAsync(inboxes, e); }
        catch (Exception failure) when (StorageFailures.IsStorageFailure(failure))
        {
            _log.LogWarning("An event on {Channel} could not be stored ({Reason}); its {Count} inboxes get relay:gap once storage works again",
                e.Channel, StorageFailures.Describe(failure), inboxes.Count);
            Missed(inboxes.Select(i => (i, e.Channel)));
        }
    }

    /// <summary>
    /// The relay (re)started: routes are rebuilt from the stored inboxes, and whatever was published
    /// while it was down never reached them. Every restored inbox gets one <c>relay:gap</c> naming its
    /// channels, so clients resync. In a cluster <paramref name="missedWhileDown"/> keeps only the channels
    /// nobody heard meanwhile (docs/cluster.md, "Restarts"): an inbox whose channels a live node heard gets
    /// no gap. It is asked before the routes are set, so this node has taken no channel yet.
    /// </summary>
    public async Task ReportRestartGapAsync(Func<IReadOnlyCollection<string>, Task<IReadOnlySet<string>>>? missedWhileDown = null)
    {
        try
        {
            var states = await _inboxes.AllStatesAsync();
            var channelsByInbox = states.ToDictionary(s => s.InboxId, ChannelsOf, StringComparer.Ordinal);
            var allChannels = channelsByInbox.Values.SelectMany(c => c).ToHashSet(StringComparer.Ordinal);
            IReadOnlySet<string> missed = missedWhileDown is null || allChannels.Count == 0 ? allChannels : await MissedOrAllAsync(missedWhileDown, allChannels);
            foreach (var state in states) Update(state);
            var affected = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            lock (_gate)
            {
                foreach (var (inbox, channels) in _channelsByInbox)
                {
                    var unheard = channels.Where(missed.Contains).ToList();
                    if (unheard.Count > 0) affected[inbox] = unheard;
                }
            }
            if (affected.Count == 0) return;
            _log.LogInformation("Relay started: telling {Inboxes} restored inboxes that events may have been missed", affected.Count);
            await AppendGapsAsync(affected, "relay_restarted");
        }
        finally
        {
            _restartGapTold.TrySetResult();
        }
    }

    /// <summary>Who heard what cannot be asked (Redis down at start): every channel gets its gap, on the safe side.</summary>
    private async Task<IReadOnlySet<string>> MissedOrAllAsync(Func<IReadOnlyCollection<string>, Task<IReadOnlySet<string>>> missedWhileDown, HashSet<string> all)
    {
        try { return await missedWhileDown(all); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogWarning("Relay started: could not ask which channels other nodes heard ({Reason}); telling every restored inbox", e.Message);
            return all;
        }
    }

    private static string? RefusalOfHeard(IncomingEvent e)
    {
        if (!PusherLimits.IsValidChannelName(e.Channel) || e.Event.Length == 0 || WireNames.HasUnsafeCharacters(e.Event)) return "invalid_name";
        if (e.Event.Trim().StartsWith("relay:", StringComparison.OrdinalIgnoreCase)) return "reserved_name";
        return null;
    }

    /// <summary>
    /// A Pusher connection dropped and came back (or, in a cluster, the channels' owner died and
    /// another node took them over, docs/cluster.md): events on these channels may have been missed.
    /// Each affected inbox gets one <c>relay:gap</c> naming its channels, so clients resync.
    /// </summary>
    public async Task ReportGapAsync(IReadOnlyCollection<string> channels, string reason = "pusher_reconnected")
    {
        var affected = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var channel in channels)
            {
                if (!_inboxesByChannel.TryGetValue(channel, out var set)) continue;
                foreach (var inbox in set)
                {
                    if (!affected.TryGetValue(inbox, out var list)) affected[inbox] = list = [];
                    list.Add(channel);
                }
            }
        }
        _log.LogWarning("{Reason}: {Channels} channels may have missed events; telling {Inboxes} inboxes", reason, channels.Count, affected.Count);
        await AppendGapsAsync(affected, reason);
    }

    private async Task ReportMissedAsync()
    {
        Dictionary<string, List<string>> missed;
        lock (_gate)
        {
            missed = _missedByInbox.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal);
            _missedByInbox.Clear();
            _hasMissed = false;
        }
        if (missed.Count == 0) return;
        _log.LogWarning("Storage recovered: telling {Inboxes} inboxes that events were lost meanwhile", missed.Count);
        await AppendGapsAsync(missed, "storage_unavailable");
    }

    private void Missed(IEnumerable<(string Inbox, string Channel)> lost)
    {
        lock (_gate)
        {
            foreach (var (inbox, channel) in lost)
            {
                if (!_missedByInbox.TryGetValue(inbox, out var set)) _missedByInbox[inbox] = set = new HashSet<string>(StringComparer.Ordinal);
                set.Add(channel);
                _hasMissed = true;
            }
        }
    }

    /// <summary>
    /// One <c>relay:gap</c> per inbox naming its channels. Queued together, the writer commits
    /// them in a few groups rather than one commit per inbox. A gap that cannot be stored (storage
    /// down) is kept and told once storage works again — a gap is never dropped.
    /// </summary>
    private Task AppendGapsAsync(Dictionary<string, List<string>> affected, string reason) =>
        Task.WhenAll(affected.Select(async pair =>
        {
            var (inbox, list) = pair;
            var data = new JObject { ["channels"] = new JArray(list), ["reason"] = reason }.ToString(Newtonsoft.Json.Formatting.None);
            try
            {
                var ownChannel = (await _inboxes.StateOfAsync(inbox))?.ToClient().OwnChannel ?? list[0];
                await _inboxes.AppendAsync([inbox], new IncomingEvent(ownChannel, GapEvent, data));
            }
            catch (Exception e) when (StorageFailures.IsStorageFailure(e)) { Missed(list.Select(c => (inbox, c))); }
        }));
}
