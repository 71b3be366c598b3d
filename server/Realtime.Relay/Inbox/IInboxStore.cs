using Realtime.Relay.Clients;

namespace Realtime.Relay.Inbox;

/// <summary>
/// The storage seam for inboxes (docs/storage.md): each method is one atomic operation, and an
/// implementation wakes waiting long-polls and streams (<see cref="InboxSignals"/>) once an
/// append or a close is stored. Interfaces of the seam live in their feature folders, the
/// implementations in <c>Storage/LiteDb</c> and <c>Storage/Redis</c>.
/// </summary>
public interface IInboxStore
{
    /// <summary>
    /// The inbox's current state, or null when it is not open. Asynchronous because with a shared
    /// engine another node may have changed it: LiteDB answers from memory at once, Redis reads it
    /// (docs/storage.md, "Inbox reads").
    /// </summary>
    Task<InboxState?> StateOfAsync(string inboxId);

    /// <summary>Every open inbox's state.</summary>
    Task<IReadOnlyList<InboxState>> AllStatesAsync();

    /// <summary>Opens the client's inbox; nothing happens when it is open already.</summary>
    Task OpenAsync(RelayClient client);

    /// <summary>Drops the inbox and its events; its waiting readers wake and see it gone.</summary>
    Task CloseAsync(RelayClient client);

    /// <summary>
    /// Stores the event in each open inbox (closed ones are skipped), each with the next seq of
    /// that inbox; past <see cref="InboxOptions.MaxEventsPerClient"/> the oldest events are
    /// dropped and, if unacknowledged, noted as a gap. Completes once stored.
    /// </summary>
    Task AppendAsync(IReadOnlyCollection<string> inboxIds, IncomingEvent e);

    /// <summary>
    /// True when <see cref="AppendAsync"/> has queued its event, in call order, by the time it returns (before it
    /// completes): the events of one channel may then be handed over without waiting for each other to be stored
    /// (docs/storage.md, "Appends in flight"). False: each append must complete before the channel's next starts.
    /// </summary>
    bool QueuesAppendsInOrder => false;

    /// <summary>Everything up to <paramref name="seq"/> (at most the last seq) is handled and may be forgotten.</summary>
    Task AcknowledgeAsync(string inboxId, long seq);

    /// <summary>Replaces the channels the inbox hears besides its own.</summary>
    Task SetSubscriptionsAsync(string inboxId, IReadOnlyList<string> channels);

    /// <summary>Retention by age: drops events older than <see cref="InboxOptions.Retention"/>, noting gaps.</summary>
    Task ExpireAsync();

    /// <summary>Up to <paramref name="limit"/> stored events with seq &gt; <paramref name="after"/>, in seq order.</summary>
    Task<List<StoredEvent>> ReadAfterAsync(string inboxId, long after, int limit);
}
