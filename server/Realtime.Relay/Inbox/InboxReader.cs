namespace Realtime.Relay.Inbox;

/// <summary>Reads an inbox in seq order (the events controller's view of <see cref="IInboxStore.ReadAfterAsync"/>).</summary>
public sealed class InboxReader(IInboxStore inboxes)
{
    public Task<List<StoredEvent>> ReadAfterAsync(string inboxId, long after, int limit) => inboxes.ReadAfterAsync(inboxId, after, limit);
}
