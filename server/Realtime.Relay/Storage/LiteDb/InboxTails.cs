using System.Collections.Concurrent;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// The newest events of each inbox, kept in memory so a poll or stream is answered without reading
/// the file, and so an event can be handed to readers while its group commits (docs/storage.md,
/// "Early hand-out"). Per inbox a run of consecutive seqs ending at the newest event a reader may
/// have; anything older is read from the file. Changed only under the store writer's group lock; readers
/// take the current array, which is never changed once published.
/// </summary>
internal sealed class InboxTails(int perInbox, int total)
{
    private readonly ConcurrentDictionary<string, StoredEvent[]> _tails = new(StringComparer.Ordinal);
    private int _count; // under the writer's group lock only

    /// <summary>
    /// Adds the inbox's next event. False when it cannot (over the memory budget): the inbox's tail
    /// is then forgotten, so what readers see in memory is never missing an event the file has.
    /// </summary>
    public bool Add(string inboxId, StoredEvent e)
    {
        var tail = _tails.GetValueOrDefault(inboxId);
        if (tail is not null && tail[^1].Seq != e.Seq - 1)
        {
            Forget(inboxId); // not the next seq (a hole after a failed group): start a new run
            tail = null;
        }
        if (tail is null)
        {
            if (_count >= total) return false;
            _tails[inboxId] = [e];
            _count++;
            return true;
        }
        StoredEvent[] next;
        if (tail.Length >= perInbox)
        {
            next = new StoredEvent[tail.Length];
            Array.Copy(tail, 1, next, 0, tail.Length - 1);
        }
        else
        {
            if (_count >= total) { Forget(inboxId); return false; }
            next = new StoredEvent[tail.Length + 1];
            Array.Copy(tail, next, tail.Length);
            _count++;
        }
        next[^1] = e;
        _tails[inboxId] = next;
        return true;
    }

    /// <summary>Events up to <paramref name="seq"/> were acknowledged or dropped.</summary>
    public void TrimThrough(string inboxId, long seq)
    {
        if (!_tails.TryGetValue(inboxId, out var tail) || tail[0].Seq > seq) return;
        var keep = tail.Length - (int)Math.Min(tail.Length, seq - tail[0].Seq + 1);
        _count -= tail.Length - keep;
        if (keep == 0) _tails.TryRemove(inboxId, out _);
        else _tails[inboxId] = tail[^keep..];
    }

    public void Forget(string inboxId)
    {
        if (_tails.TryRemove(inboxId, out var tail)) _count -= tail.Length;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> events of <paramref name="tail"/> with seq &gt; <paramref name="after"/>;
    /// null when the tail does not reach back to <paramref name="after"/> + 1 (the file must be read).
    /// </summary>
    public static List<StoredEvent>? Read(StoredEvent[]? tail, long after, int limit)
    {
        if (tail is null || tail[0].Seq > after + 1) return null;
        var from = (int)Math.Min(tail.Length, after + 1 - tail[0].Seq);
        var result = new List<StoredEvent>(Math.Max(0, Math.Min(limit, tail.Length - from)));
        for (var i = from; i < tail.Length && result.Count < limit; i++)
        {
            tail[i].Fetched = true;
            result.Add(tail[i]);
        }
        return result;
    }

    /// <summary>The current tail (taken before the file is read, so an event committed between the two is in one of them).</summary>
    public StoredEvent[]? Snapshot(string inboxId) => _tails.GetValueOrDefault(inboxId);

    /// <summary>Adds what the file did not have yet (events handed out before their commit).</summary>
    public static void Complete(List<StoredEvent> fromFile, StoredEvent[]? snapshot, long after, int limit)
    {
        if (snapshot is null) return;
        var last = fromFile.Count > 0 ? fromFile[^1].Seq : after;
        foreach (var e in snapshot)
        {
            if (fromFile.Count >= limit) return;
            if (e.Seq > last)
            {
                e.Fetched = true;
                fromFile.Add(e);
                last = e.Seq;
            }
        }
    }
}
