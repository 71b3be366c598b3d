using LiteDB;
using Realtime.Relay.Inbox;
using Realtime.Relay.Publishing;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>An idempotency key (sender + client-chosen id) and when it was first seen.</summary>
public sealed class OutboxKey
{
    [BsonId] public string Key { get; set; } = "";
    public DateTime At { get; set; }
}

/// <summary>
/// The <c>outbox</c> and <c>outbox_keys</c> collections. Entry ids are LiteDB's growing auto-ids,
/// so id order is acceptance order. Completing an entry appends it to the listening inboxes in
/// the same <see cref="StoreWriter"/> write.
/// </summary>
public sealed class LiteDbOutboxStore : IOutboxStore
{
    private readonly StoreWriter _writer;
    private readonly ILiteCollection<OutboxEntry> _entries;
    private readonly ILiteCollection<OutboxKey> _keys;
    private readonly LiteDbInboxStore _inboxes;

    public LiteDbOutboxStore(RelayDatabase db, StoreWriter writer, LiteDbInboxStore inboxes)
    {
        _writer = writer;
        _inboxes = inboxes;
        _entries = db.Collection<OutboxEntry>("outbox");
        _keys = db.Collection<OutboxKey>("outbox_keys");
        _keys.EnsureIndex(k => k.At);
    }

    public Task<int> AcceptAsync(IReadOnlyList<(OutboxEntry Entry, string? Key)> events, DateTime now) => _writer.WriteAsync(_ =>
    {
        var count = 0;
        foreach (var (entry, key) in events)
        {
            if (key is not null)
            {
                if (_keys.FindById(key) is not null) continue;
                _keys.Insert(new OutboxKey { Key = key, At = now });
            }
            entry.Id = 0; // a rolled-back attempt may have given it an id; LiteDB gives the next one
            entry.AcceptedAt = now;
            _entries.Insert(entry);
            count++;
        }
        return count;
    });

    public Task<List<OutboxEntry>> OldestAsync(int count) => Task.FromResult(_entries.Query().OrderBy(e => e.Id).Limit(count).ToList());

    public Task<List<OutboxEntry>> OldestAsync(int count, IReadOnlySet<string> exceptSenders) => exceptSenders.Count == 0
        ? OldestAsync(count)
        : Task.FromResult(_entries.Query()
            .Where(BsonExpression.Create("($.SenderInboxId IN @0) = false", new BsonArray(exceptSenders.Select(s => new BsonValue(s)))))
            .OrderBy(e => e.Id).Limit(count).ToList());

    public Task<int> CountAsync() => Task.FromResult(_entries.Count());

    public Task CompleteAsync(IReadOnlyList<OutboxDelivery> published) => _writer.WriteAsync(ctx =>
    {
        foreach (var (entry, listeners) in published)
        {
            if (!_entries.Delete(entry.Id)) continue; // already completed
            if (listeners.Count > 0) _inboxes.Append(ctx, listeners, new IncomingEvent(entry.Channel, entry.Event, entry.Data));
        }
    });

    public Task RejectAsync(long entryId) => _writer.WriteAsync(_ => { _entries.Delete(entryId); });

    public Task<int> ForgetKeysAsync(DateTime cutoff) => _writer.WriteAsync(_ => _keys.DeleteMany(k => k.At < cutoff));
}
