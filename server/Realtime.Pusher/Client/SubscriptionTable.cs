namespace Realtime.Pusher.Client;

/// <summary>
/// The channels of one <see cref="PusherConnection"/>: which subscription each channel has, on which session its
/// <c>pusher:subscribe</c> was sent (so it is sent once per session), and gap tracking after a reconnect — the
/// channels that were subscribed before and must be subscribed again before the connection reports them
/// together (<see cref="PusherConnection.ChannelsResumedAfterGap"/>).
/// <para>
/// Every member but <see cref="Get"/> locks the connection's gate (re-entrant), so the connection can make a larger step atomic
/// by holding the gate around several calls.
/// </para>
/// </summary>
internal sealed class SubscriptionTable(object gate)
{
    // Changed only under the gate; read without it by Get, which every frame of the connection asks (docs/performance.md).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PusherSubscription> _subs = new(StringComparer.Ordinal);
    private readonly Dictionary<PusherSubscription, PusherSession> _sentOn = new();
    private readonly HashSet<string> _gapPending = new(StringComparer.Ordinal);
    private readonly List<string> _gapResumed = new();

    public int Count { get { lock (gate) return _subs.Count; } }

    public List<PusherSubscription> All { get { lock (gate) return _subs.Values.ToList(); } }

    /// <summary>The channel's subscription, without the gate: a caller holding it sees its own changes all the same.</summary>
    public PusherSubscription? Get(string channel) => _subs.GetValueOrDefault(channel);

    /// <summary>The channel's subscription; <paramref name="create"/>d and added when there is none.</summary>
    public PusherSubscription GetOrAdd(string channel, Func<PusherSubscription> create, out bool added)
    {
        lock (gate)
        {
            added = false;
            if (_subs.TryGetValue(channel, out var existing)) return existing;
            var sub = create();
            _subs[channel] = sub;
            added = true;
            return sub;
        }
    }

    /// <summary>Removes the channel; <paramref name="sentOn"/> is the session its subscribe went out on, if any.</summary>
    public bool Remove(string channel, out PusherSubscription sub, out PusherSession? sentOn)
    {
        lock (gate)
        {
            sentOn = null;
            if (!_subs.TryRemove(channel, out sub!)) return false;
            _sentOn.Remove(sub, out sentOn);
            _gapPending.Remove(channel);
            return true;
        }
    }

    /// <summary>Whether <paramref name="sub"/> is still the channel's subscription (not unsubscribed or replaced).</summary>
    public bool IsCurrent(PusherSubscription sub)
    {
        lock (gate) return _subs.TryGetValue(sub.Channel, out var current) && ReferenceEquals(current, sub);
    }

    /// <summary>Claims the sending of <paramref name="sub"/>'s subscribe on <paramref name="session"/>: false if already sent there.</summary>
    public bool ClaimSend(PusherSubscription sub, PusherSession session)
    {
        lock (gate)
        {
            if (!IsCurrent(sub)) return false;
            if (_sentOn.TryGetValue(sub, out var sentOn) && ReferenceEquals(sentOn, session)) return false;
            _sentOn[sub] = session;
            return true;
        }
    }

    /// <summary>The session ended: every channel is pending until subscribed on the next one.</summary>
    public void SessionEnded()
    {
        List<PusherSubscription> subs;
        lock (gate)
        {
            subs = _subs.Values.ToList();
            _sentOn.Clear();
        }
        foreach (var sub in subs) sub.MarkPending();
    }

    /// <summary>Reconnected: every channel that had been subscribed may have missed events until subscribed again.</summary>
    public void ExpectGaps()
    {
        lock (gate)
        {
            foreach (var sub in _subs.Values)
            {
                if (sub.EverSubscribed && sub.State != SubscriptionState.Unsubscribed) _gapPending.Add(sub.Channel);
            }
        }
    }

    /// <summary>The channel was subscribed again: if a gap was expected, its stream gets the gap marker.</summary>
    public void Resubscribed(PusherSubscription sub, DateTimeOffset now)
    {
        lock (gate)
        {
            if (!_gapPending.Remove(sub.Channel)) return;
            sub.OnResumedAfterGap(now);
            _gapResumed.Add(sub.Channel);
        }
    }

    /// <summary>The channel failed to subscribe again: it no longer holds back the others' gap report.</summary>
    public void StopExpectingGap(string channel)
    {
        lock (gate) _gapPending.Remove(channel);
    }

    /// <summary>The channels resumed after a gap, once none is pending any more; null until then (or if none).</summary>
    public string[]? TakeResumedWhenComplete()
    {
        lock (gate)
        {
            if (_gapPending.Count > 0 || _gapResumed.Count == 0) return null;
            var resumed = _gapResumed.ToArray();
            _gapResumed.Clear();
            return resumed;
        }
    }

    /// <summary>(subscribed, failed, dropped events) over all channels, for a snapshot.</summary>
    public (int Subscribed, int Failed, long Dropped) Tally()
    {
        lock (gate)
        {
            int subscribed = 0, failed = 0;
            long dropped = 0;
            foreach (var sub in _subs.Values)
            {
                if (sub.State == SubscriptionState.Subscribed) subscribed++;
                else if (sub.State == SubscriptionState.Failed) failed++;
                dropped += sub.DroppedEvents;
            }
            return (subscribed, failed, dropped);
        }
    }

    /// <summary>Empties the table (the connection is disposed) and returns what it held.</summary>
    public List<PusherSubscription> Clear()
    {
        lock (gate)
        {
            var subs = _subs.Values.ToList();
            _subs.Clear();
            _sentOn.Clear();
            _gapPending.Clear();
            return subs;
        }
    }
}
