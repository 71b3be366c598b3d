namespace Realtime.Relay.Inbox;

/// <summary>Reads an inbox in seq order (the events controller's view of <see cref="IInboxStore.ReadAfter"/>).</summary>
public sealed class InboxReader(IInboxStore inboxes)
{
    public List<StoredEvent> ReadAfter(string inboxId, long after, int limit) => inboxes.ReadAfter(inboxId, after, limit);
}
