using LiteDB;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// The two documents the store writer saves for every event (the event's copy in an inbox, and
/// the inbox's state), written by hand: LiteDB's reflection mapper cost a fifth of the writer's
/// time under load (docs/performance.md). The same fields as <see cref="RelayDatabase.Mapper"/>
/// writes, so both read back through the mapper as before; a test compares the two.
/// </summary>
internal static class InboxBson
{
    public static BsonDocument Of(StoredEvent e)
    {
        var doc = new BsonDocument
        {
            ["_id"] = e.Id,
            [nameof(StoredEvent.InboxId)] = e.InboxId,
            [nameof(StoredEvent.Seq)] = e.Seq,
            [nameof(StoredEvent.Channel)] = e.Channel,
            [nameof(StoredEvent.Event)] = e.Event,
            [nameof(StoredEvent.Data)] = e.Data,
        };
        if (e.UserId is not null) doc[nameof(StoredEvent.UserId)] = e.UserId;
        doc[nameof(StoredEvent.At)] = e.At;
        return doc;
    }

    public static BsonDocument Of(InboxState s)
    {
        var doc = new BsonDocument
        {
            ["_id"] = s.InboxId,
            [nameof(InboxState.Kind)] = s.Kind.ToString(),
            [nameof(InboxState.ClientId)] = s.ClientId,
        };
        if (s.GameId is not null) doc[nameof(InboxState.GameId)] = s.GameId;
        doc[nameof(InboxState.NextSeq)] = s.NextSeq;
        doc[nameof(InboxState.AckedSeq)] = s.AckedSeq;
        doc[nameof(InboxState.DroppedThrough)] = s.DroppedThrough;
        doc[nameof(InboxState.FirstSeq)] = s.FirstSeq;
        doc[nameof(InboxState.SeqReservedThrough)] = s.SeqReservedThrough;
        doc[nameof(InboxState.Number)] = s.Number;
        var subscriptions = new BsonArray();
        foreach (var channel in s.Subscriptions) subscriptions.Add(channel);
        doc[nameof(InboxState.Subscriptions)] = subscriptions;
        doc[nameof(InboxState.CreatedAt)] = s.CreatedAt;
        doc[nameof(InboxState.LastSeq)] = s.LastSeq; // the mapper writes read-only properties too
        return doc;
    }
}
