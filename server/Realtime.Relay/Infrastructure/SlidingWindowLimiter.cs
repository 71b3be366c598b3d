using System.Collections.Concurrent;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// At most <c>limit</c> hits per key within a sliding <c>window</c>, in memory (limits reset
/// when the relay restarts, which is acceptable for abuse limits). Time comes from
/// <see cref="TimeProvider"/> so tests can move it.
/// </summary>
public sealed class SlidingWindowLimiter(int limit, TimeSpan window, TimeProvider time)
{
    private const int PruneAbove = 10_000;
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _hits = new(StringComparer.Ordinal);

    public int Limit => limit;
    public TimeSpan Window => window;

    /// <summary>True when <paramref name="key"/> has used up its hits; <paramref name="retryAfter"/> says for how long.</summary>
    public bool IsLimited(string key, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_hits.TryGetValue(key, out var queue)) return false;
        lock (queue) return IsFull(queue, time.GetUtcNow(), out retryAfter);
    }

    /// <summary>Counts one hit for <paramref name="key"/>.</summary>
    public void Record(string key)
    {
        var now = time.GetUtcNow();
        var queue = _hits.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            Drop(queue, now);
            queue.Enqueue(now);
        }
        if (_hits.Count > PruneAbove) Prune(now);
    }

    /// <summary>Counts a hit unless the key is limited (check and count as one step).</summary>
    public bool TryAcquire(string key, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        var queue = _hits.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            if (IsFull(queue, now, out retryAfter)) return false;
            queue.Enqueue(now);
        }
        if (_hits.Count > PruneAbove) Prune(now);
        return true;
    }

    private bool IsFull(Queue<DateTimeOffset> queue, DateTimeOffset now, out TimeSpan retryAfter)
    {
        Drop(queue, now);
        retryAfter = queue.Count >= limit ? queue.Peek() + window - now : TimeSpan.Zero;
        return queue.Count >= limit;
    }

    private void Drop(Queue<DateTimeOffset> queue, DateTimeOffset now)
    {
        while (queue.Count > 0 && queue.Peek() <= now - window) queue.Dequeue();
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, queue) in _hits)
        {
            bool empty;
            lock (queue)
            {
                Drop(queue, now);
                empty = queue.Count == 0;
            }
            if (empty) _hits.TryRemove(new KeyValuePair<string, Queue<DateTimeOffset>>(key, queue));
        }
    }
}
