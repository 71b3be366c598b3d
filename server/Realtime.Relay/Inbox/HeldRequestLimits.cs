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
public sealed class HeldRequestLimits(InboxOptions options)
{
    private readonly Dictionary<string, int> _streams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedList<CancellationTokenSource>> _polls = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _pollsCut;

    private static readonly Prometheus.Counter PollsCutTotal = Prometheus.Metrics.CreateCounter(
        "relay_long_polls_cut_total", "Held long-polls answered early because the same client started more than its limit.");

    /// <summary>Held polls answered early because newer ones of the same client pushed them out.</summary>
    public long PollsCut => Interlocked.Read(ref _pollsCut);

    /// <summary>Polls the inbox holds now.</summary>
    public int HeldPolls(string inboxId)
    {
        lock (_gate) return _polls.TryGetValue(inboxId, out var held) ? held.Count : 0;
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
    /// Holds a poll for the inbox; <paramref name="wait"/> (the poll's own wait) is cancelled if
    /// newer polls push this one out. Dispose when the poll answers, before disposing <paramref name="wait"/>.
    /// </summary>
    public IDisposable HoldPoll(string inboxId, CancellationTokenSource wait)
    {
        var mine = wait;
        CancellationTokenSource? oldest = null;
        LinkedListNode<CancellationTokenSource> node;
        lock (_gate)
        {
            if (!_polls.TryGetValue(inboxId, out var held)) _polls[inboxId] = held = new LinkedList<CancellationTokenSource>();
            node = held.AddLast(mine);
            if (held.Count > Math.Max(1, options.MaxHeldPollsPerClient))
            {
                oldest = held.First!.Value;
                held.RemoveFirst();
            }
        }
        if (oldest is not null)
        {
            Interlocked.Increment(ref _pollsCut);
            PollsCutTotal.Inc();
        }
        try { oldest?.Cancel(); } // outside the lock: cancelling runs the cut poll's continuations
        catch (ObjectDisposedException) { } // that poll answered meanwhile
        return new Release(() =>
        {
            lock (_gate)
            {
                if (node.List is { } list)
                {
                    list.Remove(node);
                    if (list.Count == 0) _polls.Remove(inboxId);
                }
            }
        });
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
