using Realtime.Relay.Inbox;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// The <c>relay:gap</c> owed to the inboxes of channels a node took without a hand-over (docs/cluster.md, "Channel
/// ownership"): reason <c>node_failed</c> (their owner stopped renewing) or <c>lease_lost</c> (this node's own lease
/// had lapsed). Stored once the new subscription is confirmed — by the channel's first event or the end of the round,
/// whichever comes first, the other waiting until it is stored — so it comes before any event of that channel the
/// new owner stores.
/// </summary>
internal sealed class TakeoverGaps(ChannelRouter router)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Pending> _owed = new(StringComparer.Ordinal);

    /// <summary>Raised once the gaps of these channels are stored in their inboxes.</summary>
    public event Action<IReadOnlyList<string>>? Told;

    /// <summary>Set with the ownership, before the feed is told to subscribe: no event of it is stored before this gap.</summary>
    public void Owe(string channel, string reason)
    {
        lock (_gate) _owed[channel] = new Pending(reason);
    }

    /// <summary>The channel was let go: a gap being stored is finished (events wait for it); one not started is the next owner's to tell.</summary>
    public void Forget(string channel)
    {
        lock (_gate)
        {
            if (_owed.TryGetValue(channel, out var gap) && !gap.Telling) _owed.Remove(channel);
        }
    }

    public bool IsOwed(string channel)
    {
        lock (_gate) return _owed.ContainsKey(channel);
    }

    /// <summary>Tells the gaps of the owed channels whose subscription Pusher has confirmed.</summary>
    public Task TellConfirmedAsync(Func<string, bool> isSubscribed)
    {
        List<string> confirmed;
        lock (_gate) confirmed = _owed.Keys.Where(isSubscribed).ToList();
        return confirmed.Count == 0 ? Task.CompletedTask : TellAsync(confirmed);
    }

    /// <summary>Stores the gaps of these channels, once: whoever comes first stores them, and the other waits until they are stored.</summary>
    public async Task TellAsync(IReadOnlyCollection<string> channels)
    {
        var mine = new List<(string Channel, Pending Gap)>();
        var others = new List<Task>();
        lock (_gate)
        {
            foreach (var channel in channels)
            {
                if (!_owed.TryGetValue(channel, out var gap)) continue;
                if (gap.Telling) others.Add(gap.Stored.Task);
                else
                {
                    gap.Telling = true;
                    mine.Add((channel, gap));
                }
            }
        }
        if (mine.Count > 0)
        {
            var told = mine.Select(m => m.Channel).ToList();
            try { await Task.WhenAll(mine.GroupBy(m => m.Gap.Reason).Select(g => router.ReportGapAsync(g.Select(m => m.Channel).ToList(), g.Key))); }
            finally
            {
                lock (_gate)
                {
                    foreach (var (channel, gap) in mine)
                        if (_owed.GetValueOrDefault(channel) == gap) _owed.Remove(channel);
                }
                foreach (var (_, gap) in mine) gap.Stored.TrySetResult();
            }
            Told?.Invoke(told);
        }
        await Task.WhenAll(others);
    }

    /// <summary>One channel's owed gap: <see cref="Stored"/> once it is in the inboxes.</summary>
    private sealed class Pending(string reason)
    {
        public string Reason { get; } = reason;
        public TaskCompletionSource Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Telling { get; set; }
    }
}
