namespace Realtime.Relay.Publishing;

/// <summary>One published entry and the relay's own inboxes that hear its channel (its sender left out).</summary>
public sealed record OutboxDelivery(OutboxEntry Entry, IReadOnlyCollection<string> Listeners);

/// <summary>
/// The storage seam for the outbox and its idempotency keys (docs/storage.md): accepted means
/// stored, in acceptance order, each key at most once until it is forgotten.
/// </summary>
public interface IOutboxStore
{
    /// <summary>
    /// One atomic operation: stores the events in order, each stamped <paramref name="now"/> and
    /// given an id greater than every earlier one, skipping those whose key was seen. Returns how many were new.
    /// </summary>
    Task<int> AcceptAsync(IReadOnlyList<(OutboxEntry Entry, string? Key)> events, DateTime now);

    /// <summary>The oldest pending entries, in acceptance order.</summary>
    Task<List<OutboxEntry>> OldestAsync(int count);

    /// <summary>
    /// The oldest pending entries of senders other than <paramref name="exceptSenders"/> (claimed by other
    /// relay nodes, docs/cluster.md), in acceptance order. This default pages through
    /// <see cref="OldestAsync(int)"/>; an engine shared by many nodes should filter where the entries are.
    /// </summary>
    async Task<List<OutboxEntry>> OldestAsync(int count, IReadOnlySet<string> exceptSenders)
    {
        for (var window = count; ; window *= 4)
        {
            var page = await OldestAsync(window);
            var kept = page.Where(e => !exceptSenders.Contains(e.SenderInboxId)).Take(count).ToList();
            if (kept.Count == count || page.Count < window) return kept;
        }
    }

    Task<int> CountAsync();

    /// <summary>
    /// One atomic operation: forgets the published entries and appends each to its listeners'
    /// inboxes (entries already completed are skipped, so a retry delivers nothing twice).
    /// </summary>
    Task CompleteAsync(IReadOnlyList<OutboxDelivery> published);

    /// <summary>Forgets an entry Pusher refused for good.</summary>
    Task RejectAsync(long entryId);

    /// <summary>Forgets idempotency keys first seen before <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> ForgetKeysAsync(DateTime cutoff);
}
