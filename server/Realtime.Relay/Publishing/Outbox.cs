using LiteDB;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;

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

/// <summary>An idempotency key (sender + client-chosen id) remembered for a day.</summary>
public sealed class OutboxKey
{
    [BsonId] public string Key { get; set; } = "";
    public DateTime At { get; set; }
}

/// <summary>
/// The durable outbox: accepted means stored. Publishing completes an entry and, in the same
/// transaction, delivers it to the other relay clients on its channel (the relay excludes its
/// own socket from Pusher's fan-out, so they would not hear it otherwise).
/// </summary>
public sealed class Outbox
{
    public static readonly TimeSpan KeyRetention = TimeSpan.FromHours(24);

    private readonly StoreWriter _writer;
    private readonly ILiteCollection<OutboxEntry> _entries;
    private readonly ILiteCollection<OutboxKey> _keys;
    private readonly InboxStore _inboxes;
    private readonly ChannelRouter _router;
    private readonly TimeProvider _clock;
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Outbox(RelayDatabase db, StoreWriter writer, InboxStore inboxes, ChannelRouter router, TimeProvider clock)
    {
        _writer = writer;
        _inboxes = inboxes;
        _router = router;
        _clock = clock;
        _entries = db.Collection<OutboxEntry>("outbox");
        _keys = db.Collection<OutboxKey>("outbox_keys");
        _keys.EnsureIndex(k => k.At);
    }

    public int Pending => _entries.Count();

    /// <summary>Stores the events (skipping those whose key was seen); returns how many were new.</summary>
    public async Task<int> AcceptAsync(IReadOnlyList<(OutboxEntry Entry, string? Key)> events)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var added = await _writer.WriteAsync(ctx =>
        {
            var count = 0;
            foreach (var (entry, key) in events)
            {
                if (key is not null)
                {
                    if (_keys.FindById(key) is not null) continue;
                    _keys.Insert(new OutboxKey { Key = key, At = now });
                }
                entry.AcceptedAt = now;
                _entries.Insert(entry);
                count++;
            }
            return count;
        });
        if (added > 0) Interlocked.Exchange(ref _added, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return added;
    }

    /// <summary>Waits until something is accepted (or the timeout passes).</summary>
    public Task WaitForMoreAsync(TimeSpan timeout, CancellationToken ct) => Volatile.Read(ref _added).Task.WaitAsync(timeout, ct)
        .ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>The oldest pending entries, in acceptance order.</summary>
    public List<OutboxEntry> Oldest(int count) => _entries.Query().OrderBy(e => e.Id).Limit(count).ToList();

    /// <summary>Published: forget the entries and deliver them to the relay's other listeners.</summary>
    public Task CompleteAsync(IReadOnlyList<OutboxEntry> published) => _writer.WriteAsync(ctx =>
    {
        foreach (var entry in published)
        {
            if (!_entries.Delete(entry.Id)) continue; // already completed
            var listeners = _router.InboxesFor(entry.Channel, exceptInboxId: entry.SenderInboxId);
            if (listeners.Count > 0) _inboxes.Append(ctx, listeners, new IncomingEvent(entry.Channel, entry.Event, entry.Data));
        }
    });

    /// <summary>Pusher refused it for good (4xx): dropped, never retried.</summary>
    public Task RejectAsync(OutboxEntry entry) => _writer.WriteAsync(_ => { _entries.Delete(entry.Id); });

    public Task<int> ForgetOldKeysAsync() => _writer.WriteAsync(_ =>
    {
        var cutoff = _clock.GetUtcNow().UtcDateTime - KeyRetention;
        return _keys.DeleteMany(k => k.At < cutoff);
    });
}
