using Realtime.Relay.Inbox;

namespace Realtime.Relay.Publishing;

/// <summary>An accepted event waiting to be published. Ids grow, so id order is acceptance order.</summary>
public sealed class OutboxEntry
{
    public long Id { get; set; }
    public string Channel { get; set; } = "";
    public string Event { get; set; } = "";
    /// <summary>The wrapped payload exactly as it will be sent.</summary>
    public string Data { get; set; } = "";
    public string SenderInboxId { get; set; } = "";
    public DateTime AcceptedAt { get; set; }
}

/// <summary>
/// The durable outbox: accepted means stored (<see cref="IOutboxStore"/>). Publishing completes
/// an entry and, in the same operation, delivers it to the other relay clients on its channel
/// (the relay excludes its own socket from Pusher's fan-out, so they would not hear it otherwise).
/// </summary>
public sealed class Outbox(IOutboxStore store, ChannelRouter router, TimeProvider clock)
{
    /// <summary>How long an idempotency key is remembered.</summary>
    public static readonly TimeSpan KeyRetention = TimeSpan.FromHours(24);

    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Entries accepted and not yet published.</summary>
    public Task<int> PendingAsync() => store.CountAsync();

    /// <summary>Stores the events (skipping those whose key was seen); returns how many were new.</summary>
    public async Task<int> AcceptAsync(IReadOnlyList<(OutboxEntry Entry, string? Key)> events)
    {
        var added = await store.AcceptAsync(events, clock.GetUtcNow().UtcDateTime);
        if (added > 0) Interlocked.Exchange(ref _added, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return added;
    }

    /// <summary>Waits until something is accepted (or the timeout passes).</summary>
    public Task WaitForMoreAsync(TimeSpan timeout, CancellationToken ct) => Volatile.Read(ref _added).Task.WaitAsync(timeout, ct)
        .ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>The oldest pending entries, in acceptance order.</summary>
    public Task<List<OutboxEntry>> OldestAsync(int count) => store.OldestAsync(count);

    /// <summary>The oldest pending entries of senders not in <paramref name="exceptSenders"/> (held by other nodes).</summary>
    public Task<List<OutboxEntry>> OldestAsync(int count, IReadOnlySet<string> exceptSenders) =>
        exceptSenders.Count == 0 ? store.OldestAsync(count) : store.OldestAsync(count, exceptSenders);

    /// <summary>Published: forget the entries and deliver them to the relay's other listeners.</summary>
    public Task CompleteAsync(IReadOnlyList<OutboxEntry> published) => store.CompleteAsync(published
        .Select(e => new OutboxDelivery(e, router.InboxesFor(e.Channel, exceptInboxId: e.SenderInboxId))).ToList());

    /// <summary>Pusher refused it for good (4xx): dropped, never retried.</summary>
    public Task RejectAsync(OutboxEntry entry) => store.RejectAsync(entry.Id);

    public Task<int> ForgetOldKeysAsync() => store.ForgetKeysAsync(clock.GetUtcNow().UtcDateTime - KeyRetention);
}
