using LiteDB;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Inbox;

/// <summary>Reads an inbox in seq order, straight from the primary-key range of that inbox.</summary>
public sealed class InboxReader(RelayDatabase db)
{
    private readonly ILiteCollection<StoredEvent> _events = db.Collection<StoredEvent>("inbox_events");

    public List<StoredEvent> ReadAfter(string inboxId, long after, int limit) =>
        _events.Query()
            .Where(StoredEvent.Range(inboxId, after + 1, long.MaxValue))
            .OrderBy("_id")
            .Limit(limit)
            .ToList();
}
