using System.Collections.Concurrent;
using System.Threading.Channels;
using LiteDB;
using Realtime.Relay.Clients;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Inbox;

/// <summary>
/// The only code that writes inboxes. Operations queue up and are committed in groups, many
/// per LiteDB transaction, so throughput is not one disk flush per event; each caller's task
/// completes once its operation is committed, and waiting clients are woken then. Each
/// group runs synchronously on one thread: no transaction spans an await.
/// </summary>
public sealed class InboxWriter : BackgroundService
{
    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, InboxState> _states = new();
    private readonly RelayDatabase _db;
    private readonly ILiteCollection<InboxState> _inboxes;
    private readonly ILiteCollection<StoredEvent> _events;
    private readonly InboxSignals _signals;
    private readonly InboxOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<InboxWriter> _log;

    public InboxWriter(RelayDatabase db, InboxSignals signals, InboxOptions options, TimeProvider clock, ILogger<InboxWriter> log)
    {
        _db = db;
        _signals = signals;
        _options = options;
        _clock = clock;
        _log = log;
        _inboxes = db.Collection<InboxState>("inboxes");
        _events = db.Collection<StoredEvent>("inbox_events");
        _events.EnsureIndex(e => e.At);
        foreach (var state in _inboxes.FindAll()) _states[state.InboxId] = state;
    }

    /// <summary>Inboxes as they are now (read-only view for the read side).</summary>
    public InboxState? StateOf(string inboxId) => _states.GetValueOrDefault(inboxId);

    public IEnumerable<InboxState> AllStates => _states.Values;

    /// <summary>Stores the event in each inbox; returns once it is on disk.</summary>
    public Task AppendAsync(IReadOnlyCollection<string> inboxIds, IncomingEvent e) => Enqueue(new AppendOp(inboxIds, e));

    /// <summary>Everything up to <paramref name="seq"/> is handled: the relay may forget it.</summary>
    public Task AcknowledgeAsync(string inboxId, long seq) => Enqueue(new AckOp(inboxId, seq));

    public Task OpenAsync(RelayClient client) => Enqueue(new OpenOp(client));

    public Task CloseAsync(RelayClient client) => Enqueue(new CloseOp(client.InboxId));

    public Task SetSubscriptionsAsync(string inboxId, IReadOnlyList<string> channels) => Enqueue(new SubscriptionsOp(inboxId, channels));

    /// <summary>Drops events older than the retention period.</summary>
    public Task ExpireAsync() => Enqueue(new ExpireOp(_clock.GetUtcNow().UtcDateTime - _options.Retention));

    private Task Enqueue(WriteOp op)
    {
        if (!_queue.Writer.TryWrite(op)) op.Done.TrySetException(new InvalidOperationException("The inbox writer has stopped."));
        return op.Done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<WriteOp>(_options.MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < _options.MaxBatch && _queue.Reader.TryRead(out var op)) batch.Add(op);
                Commit(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            // Whatever is still queued at shutdown is committed, not dropped.
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var op)) batch.Add(op);
            if (batch.Count > 0) Commit(batch);
        }
    }

    private void Commit(List<WriteOp> batch)
    {
        var touched = new HashSet<string>();
        var dirty = new Dictionary<string, InboxState>();
        var removed = new HashSet<string>();
        _db.Database.BeginTrans();
        try
        {
            foreach (var op in batch) Apply(op, touched, dirty, removed);
            foreach (var state in dirty.Values) _inboxes.Upsert(state);
            foreach (var id in removed) _inboxes.Delete(id);
            _db.Database.Commit();
        }
        catch (Exception e)
        {
            _db.Database.Rollback();
            _log.LogError(e, "Inbox write of {Count} operations failed; nothing of it was stored", batch.Count);
            // Restore the cache from disk so it matches what is committed.
            foreach (var id in touched.Concat(removed))
            {
                var onDisk = _inboxes.FindById(id);
                if (onDisk is null) _states.TryRemove(id, out _); else _states[id] = onDisk;
            }
            foreach (var op in batch) op.Done.TrySetException(e);
            return;
        }
        foreach (var op in batch) op.Done.TrySetResult();
        foreach (var id in touched) _signals.Pulse(id);
    }

    private void Apply(WriteOp op, HashSet<string> touched, Dictionary<string, InboxState> dirty, HashSet<string> removed)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        switch (op)
        {
            case AppendOp append:
                foreach (var inboxId in append.InboxIds)
                {
                    if (!_states.TryGetValue(inboxId, out var state)) continue; // closed meanwhile
                    var seq = state.NextSeq++;
                    _events.Insert(new StoredEvent
                    {
                        Id = StoredEvent.KeyOf(inboxId, seq), InboxId = inboxId, Seq = seq,
                        Channel = append.Event.Channel, Event = append.Event.Event, Data = append.Event.Data,
                        UserId = append.Event.UserId, At = now,
                    });
                    var excess = state.NextSeq - state.FirstSeq - _options.MaxEventsPerClient;
                    if (excess > 0) Drop(state, state.FirstSeq + excess - 1);
                    dirty[inboxId] = state;
                    touched.Add(inboxId);
                }
                break;

            case AckOp ack when _states.TryGetValue(ack.InboxId, out var state):
                var upTo = Math.Min(ack.Seq, state.LastSeq);
                if (upTo > state.AckedSeq)
                {
                    state.AckedSeq = upTo;
                    if (upTo >= state.FirstSeq)
                    {
                        _events.DeleteMany(Query.Between("_id", StoredEvent.KeyOf(ack.InboxId, state.FirstSeq), StoredEvent.KeyOf(ack.InboxId, upTo)));
                        state.FirstSeq = upTo + 1;
                    }
                    dirty[ack.InboxId] = state;
                }
                break;

            case OpenOp open:
                var id = open.Client.InboxId;
                if (!_states.ContainsKey(id))
                {
                    var fresh = new InboxState
                    {
                        InboxId = id, Kind = open.Client.Kind, ClientId = open.Client.Id, GameId = open.Client.GameId, CreatedAt = now,
                    };
                    _states[id] = fresh;
                    dirty[id] = fresh;
                    removed.Remove(id);
                }
                break;

            case CloseOp close when _states.TryRemove(close.InboxId, out _):
                _events.DeleteMany(Query.Between("_id", StoredEvent.KeyOf(close.InboxId, 0), StoredEvent.KeyOf(close.InboxId, long.MaxValue)));
                dirty.Remove(close.InboxId);
                removed.Add(close.InboxId);
                touched.Add(close.InboxId); // wakes its waiting polls, which then see it is gone
                break;

            case SubscriptionsOp subs when _states.TryGetValue(subs.InboxId, out var state):
                state.Subscriptions = subs.Channels.ToList();
                dirty[subs.InboxId] = state;
                break;

            case ExpireOp expire:
                var old = _events.Query().Where(e => e.At < expire.Cutoff).Select(e => new { e.InboxId, e.Seq }).ToList();
                foreach (var group in old.GroupBy(e => e.InboxId))
                {
                    if (!_states.TryGetValue(group.Key, out var state)) continue;
                    Drop(state, group.Max(e => e.Seq));
                    dirty[group.Key] = state;
                    touched.Add(group.Key);
                }
                break;
        }
    }

    /// <summary>Retention: forgets events up to <paramref name="throughSeq"/>, noting a gap if any were unacknowledged.</summary>
    private void Drop(InboxState state, long throughSeq)
    {
        if (throughSeq < state.FirstSeq) return;
        _events.DeleteMany(Query.Between("_id", StoredEvent.KeyOf(state.InboxId, state.FirstSeq), StoredEvent.KeyOf(state.InboxId, throughSeq)));
        if (throughSeq > state.AckedSeq) state.DroppedThrough = Math.Max(state.DroppedThrough, throughSeq);
        state.FirstSeq = throughSeq + 1;
    }

    private abstract record WriteOp
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record AppendOp(IReadOnlyCollection<string> InboxIds, IncomingEvent Event) : WriteOp;
    private sealed record AckOp(string InboxId, long Seq) : WriteOp;
    private sealed record OpenOp(RelayClient Client) : WriteOp;
    private sealed record CloseOp(string InboxId) : WriteOp;
    private sealed record SubscriptionsOp(string InboxId, IReadOnlyList<string> Channels) : WriteOp;
    private sealed record ExpireOp(DateTime Cutoff) : WriteOp;
}
