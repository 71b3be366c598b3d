namespace Realtime.Relay.Inbox;

/// <summary>
/// How many SSE streams and held long-polls one client (one token, one inbox) may keep open at
/// once, so a single token cannot take the process's file descriptors from everyone else.
/// <list type="bullet">
/// <item>Streams: over <see cref="InboxOptions.MaxStreamsPerClient"/> a new stream is refused (429).</item>
/// <item>Long-polls: a Roblox client holds one poll and, when HttpService gives up on it, simply polls
/// again; the relay may not have noticed the old one is gone. So a new poll is never refused:
/// over <see cref="InboxOptions.MaxHeldPollsPerClient"/> the oldest held poll is answered at once,
/// as if its wait had run out (an empty answer the client re-polls after).</item>
/// </list>
/// </summary>
public sealed class HeldRequestLimits(InboxOptions options, InboxSignals signals)
{
    private readonly Dictionary<string, int> _streams = new(StringComparer.Ordinal);
    /// <summary>Each inbox's oldest held poll; the newer ones follow it (<see cref="HeldPoll.Newer"/>).</summary>
    private readonly Dictionary<string, HeldPoll> _polls = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _pollsCut;

    private static readonly Prometheus.Counter PollsCutTotal = Prometheus.Metrics.CreateCounter(
        "relay_long_polls_cut_total", "Held long-polls answered early because the same client started more than its limit.");

    /// <summary>Held polls answered early because newer ones of the same client pushed them out.</summary>
    public long PollsCut => Interlocked.Read(ref _pollsCut);

    /// <summary>Polls the inbox holds now.</summary>
    public int HeldPolls(string inboxId)
    {
        lock (_gate)
        {
            var count = 0;
            for (var poll = _polls.GetValueOrDefault(inboxId); poll is not null; poll = poll.Newer) count++;
            return count;
        }
    }

    /// <summary>A stream slot for the inbox, or null when it holds its maximum; dispose to give it back.</summary>
    public IDisposable? TryOpenStream(string inboxId)
    {
        lock (_gate)
        {
            var open = _streams.GetValueOrDefault(inboxId);
            if (open >= Math.Max(1, options.MaxStreamsPerClient)) return null;
            _streams[inboxId] = open + 1;
        }
        return new Release(() =>
        {
            lock (_gate)
            {
                if (_streams[inboxId] <= 1) _streams.Remove(inboxId);
                else _streams[inboxId]--;
            }
        });
    }

    /// <summary>
    /// Holds a poll for the inbox. If newer polls push it out, it is marked <see cref="HeldPoll.IsCut"/>
    /// and the inbox's signal is pulsed, so a poll waiting on <see cref="InboxSignals.Current"/> wakes
    /// (its neighbours wake too, find nothing new and wait again). One small object per held poll:
    /// there are tens of thousands (docs/performance.md). Dispose when the poll answers.
    /// </summary>
    public HeldPoll HoldPoll(string inboxId)
    {
        var mine = new HeldPoll(this, inboxId);
        HeldPoll? oldest = null;
        lock (_gate)
        {
            if (_polls.TryGetValue(inboxId, out var first))
            {
                var (newest, count) = (first, 1);
                while (newest.Newer is { } next) (newest, count) = (next, count + 1);
                newest.Newer = mine;
                if (count + 1 > Math.Max(1, options.MaxHeldPollsPerClient))
                {
                    oldest = first;
                    _polls[inboxId] = first.Newer!;
                    first.Newer = null;
                }
            }
            else _polls[inboxId] = mine;
        }
        if (oldest is null) return mine;
        oldest.MarkCut();
        Interlocked.Increment(ref _pollsCut);
        PollsCutTotal.Inc();
        signals.Pulse(inboxId); // outside the lock: pulsing runs the waiting polls' continuations
        return mine;
    }

    private void Unhold(HeldPoll poll)
    {
        lock (_gate)
        {
            if (!_polls.TryGetValue(poll.InboxId, out var first)) return;
            if (first == poll)
            {
                if (poll.Newer is { } next) _polls[poll.InboxId] = next;
                else _polls.Remove(poll.InboxId);
            }
            else
            {
                var before = first;
                while (before.Newer is { } next && next != poll) before = next;
                if (before.Newer == poll) before.Newer = poll.Newer;
            }
            poll.Newer = null;
        }
    }

    /// <summary>One held long-poll (<see cref="HoldPoll"/>); dispose when it answers.</summary>
    public sealed class HeldPoll : IDisposable
    {
        private readonly HeldRequestLimits _limits;
        private int _cut, _released;

        internal HeldPoll(HeldRequestLimits limits, string inboxId) => (_limits, InboxId) = (limits, inboxId);

        internal string InboxId { get; }

        /// <summary>The next newer held poll of the same inbox (guarded by the limits' lock).</summary>
        internal HeldPoll? Newer { get; set; }

        /// <summary>Newer polls of the same client pushed this one out: answer it as if its wait had run out.</summary>
        public bool IsCut => Volatile.Read(ref _cut) == 1;

        internal void MarkCut() => Volatile.Write(ref _cut, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) _limits.Unhold(this);
        }
    }

    private sealed class Release(Action release) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) release();
        }
    }
}
