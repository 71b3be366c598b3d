using Realtime.Relay.Publishing;

namespace Realtime.Relay.Cluster;

/// <summary>A batch to publish and the claim on its senders (disposed once the batch is completed or given up).</summary>
public sealed record ClaimedBatch(List<OutboxEntry> Entries, IOutboxClaim Claim) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Claim.DisposeAsync();
}

/// <summary>
/// Reads the outbox's next batch for <see cref="OutboxSender"/>: the oldest entries of senders this node
/// could claim, in acceptance order. With one node that is simply the oldest entries. In a cluster the
/// entries are read again after claiming, so an entry another node completed meanwhile is not sent twice.
/// </summary>
public sealed class ClaimedOutboxReader(Outbox outbox, IOutboxClaims claims)
{
    private const int Attempts = 4;

    public async Task<ClaimedBatch> NextAsync(int max)
    {
        var heldElsewhere = new HashSet<string>(StringComparer.Ordinal);
        for (var attempt = 0; ; attempt++)
        {
            var oldest = await outbox.OldestAsync(max, heldElsewhere);
            var senders = oldest.Select(e => e.SenderInboxId).Distinct(StringComparer.Ordinal).ToList();
            var claim = await claims.ClaimAsync(senders);
            if (!claims.IsShared) return new ClaimedBatch(oldest, claim);
            heldElsewhere.UnionWith(senders.Where(s => !claim.Senders.Contains(s)));
            if (claim.Senders.Count > 0 || oldest.Count == 0 || attempt == Attempts)
            {
                var fresh = claim.Senders.Count == 0 ? [] : await outbox.OldestAsync(max, heldElsewhere);
                return new ClaimedBatch(fresh.Where(e => claim.Senders.Contains(e.SenderInboxId)).ToList(), claim);
            }
            await claim.DisposeAsync();
        }
    }
}
