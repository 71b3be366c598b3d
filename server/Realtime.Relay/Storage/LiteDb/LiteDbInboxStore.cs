using System.Collections.Concurrent;
using LiteDB;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// Inboxes on disk and their states in memory. Every change goes through the
/// <see cref="StoreWriter"/> (grouped commits); waiting long-polls and streams are woken
/// once a change is committed. States are cached: only writes change them, and a rolled-back
/// write reloads them from disk. The other LiteDB stores open, close and append inside their
/// own writes (one transaction) through the internal methods.
/// </summary>
public sealed class LiteDbInboxStore : IInboxStore
{
    private static readonly Prometheus.Counter Stored = Prometheus.Metrics.CreateCounter(
        "relay_inbox_events_stored_total", "Events stored into inboxes (one per receiving inbox).");

    private readonly ConcurrentDictionary<string, InboxState> _states = new();
    private readonly StoreWriter _writer;
    private readonly ILiteCollection<InboxState> _inboxes;
    private readonly ILiteCollection<StoredEvent> _events;
    private readonly InboxSignals _signals;
    private readonly InboxOptions _options;
    private readonly TimeProvider _clock;

    public LiteDbInboxStore(RelayDatabase db, StoreWriter writer, InboxSignals signals, InboxOptions options, TimeProvider clock)
    {
        _writer = writer;
        _signals = signals;
        _options = options;
        _clock = clock;
        _inboxes = db.Collection<InboxState>("inboxes");
        _events = db.Collection<StoredEvent>("inbox_events");
        _events.EnsureIndex(e => e.At);
        foreach (var state in _inboxes.FindAll()) _states[state.InboxId] = state;
    }

    public InboxState? StateOf(string inboxId) => _states.GetValueOrDefault(inboxId);

    public Task<InboxState?> StateOfAsync(string inboxId) => Task.FromResult(StateOf(inboxId));

    public Task<IReadOnlyList<InboxState>> AllStatesAsync() => Task.FromResult<IReadOnlyList<InboxState>>(_states.Values.ToList());

    /// <summary>Stores the event in each inbox; completes once it is on disk.</summary>
    public Task AppendAsync(IReadOnlyCollection<string> inboxIds, IncomingEvent e) =>
        _writer.WriteAsync(ctx => Append(ctx, inboxIds, e));

    /// <summary>The same, inside a write that also does other things (one transaction).</summary>
    internal void Append(WriteContext ctx, IReadOnlyCollection<string> inboxIds, IncomingEvent e)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        foreach (var inboxId in inboxIds)
        {
            if (!_states.TryGetValue(inboxId, out var state)) continue; // closed meanwhile
            Track(ctx, inboxId);
            var seq = state.NextSeq++;
            _events.Insert(new StoredEvent
            {
                Id = KeyOf(inboxId, seq), InboxId = inboxId, Seq = seq,
                Channel = e.Channel, Event = e.Event, Data = e.Data, UserId = e.UserId, At = now,
            });
            var excess = state.NextSeq - state.FirstSeq - _options.MaxEventsPerClient;
            if (excess > 0) Drop(state, state.FirstSeq + excess - 1);
            Save(ctx, state);
            Wake(ctx, inboxId);
            ctx.OnCommitted(() => Stored.Inc());
        }
    }

    /// <summary>Everything up to <paramref name="seq"/> is handled: the relay may forget it.</summary>
    public Task AcknowledgeAsync(string inboxId, long seq) => _writer.WriteAsync(ctx =>
    {
        if (!_states.TryGetValue(inboxId, out var state)) return;
        var upTo = Math.Min(seq, state.LastSeq);
        if (upTo <= state.AckedSeq) return;
        Track(ctx, inboxId);
        state.AckedSeq = upTo;
        if (upTo >= state.FirstSeq)
        {
            _events.DeleteMany(Range(inboxId, state.FirstSeq, upTo));
            state.FirstSeq = upTo + 1;
        }
        _inboxes.Update(state);
    });

    public Task OpenAsync(RelayClient client) => _writer.WriteAsync(ctx => Open(ctx, client));

    /// <summary>Opens the inbox inside a write that also does other things; nothing when it is open.</summary>
    internal void Open(WriteContext ctx, RelayClient client)
    {
        var id = client.InboxId;
        if (_states.ContainsKey(id)) return;
        var fresh = new InboxState
        {
            InboxId = id, Kind = client.Kind, ClientId = client.Id, GameId = client.GameId,
            CreatedAt = _clock.GetUtcNow().UtcDateTime,
        };
        _inboxes.Insert(fresh);
        _states[id] = fresh;
        ctx.OnRolledBack(() => _states.TryRemove(id, out _));
    }

    /// <summary>Drops the inbox and its events; its waiting polls wake and see it gone.</summary>
    public Task CloseAsync(RelayClient client) => _writer.WriteAsync(ctx => Close(ctx, client.InboxId));

    /// <summary>Closes the inbox inside a write that also does other things; nothing when it is not open.</summary>
    internal void Close(WriteContext ctx, string id)
    {
        if (!_states.TryRemove(id, out var state)) return;
        ctx.OnRolledBack(() => _states[id] = state);
        _events.DeleteMany(Range(id, 0, long.MaxValue));
        _inboxes.Delete(id);
        Wake(ctx, id);
    }

    public Task SetSubscriptionsAsync(string inboxId, IReadOnlyList<string> channels) => _writer.WriteAsync(ctx =>
    {
        if (!_states.TryGetValue(inboxId, out var state)) return;
        Track(ctx, inboxId);
        state.Subscriptions = channels.ToList();
        _inboxes.Update(state);
    });

    /// <summary>Retention by age: drops events older than the retention period.</summary>
    public Task ExpireAsync() => _writer.WriteAsync(ctx =>
    {
        var cutoff = _clock.GetUtcNow().UtcDateTime - _options.Retention;
        var old = _events.Query().Where(e => e.At < cutoff).ToList();
        foreach (var group in old.GroupBy(e => e.InboxId))
        {
            if (!_states.TryGetValue(group.Key, out var state)) continue;
            Track(ctx, group.Key);
            Drop(state, group.Max(e => e.Seq));
            _inboxes.Update(state);
            Wake(ctx, group.Key);
        }
    });

    public Task<List<StoredEvent>> ReadAfterAsync(string inboxId, long after, int limit) => Task.FromResult(ReadAfter(inboxId, after, limit));

    private List<StoredEvent> ReadAfter(string inboxId, long after, int limit) =>
        _events.Query()
            .Where(Range(inboxId, after + 1, long.MaxValue))
            .OrderBy("_id")
            .Limit(limit)
            .ToList();

    /// <summary>Forgets events up to <paramref name="throughSeq"/>, noting a gap if any were unacknowledged.</summary>
    private void Drop(InboxState state, long throughSeq)
    {
        if (throughSeq < state.FirstSeq) return;
        _events.DeleteMany(Range(state.InboxId, state.FirstSeq, throughSeq));
        if (throughSeq > state.AckedSeq) state.DroppedThrough = Math.Max(state.DroppedThrough, throughSeq);
        state.FirstSeq = throughSeq + 1;
    }

    /// <summary>An event's id sorts by inbox, then seq, so a range scan of ids reads an inbox in order.</summary>
    private static string KeyOf(string inboxId, long seq) => inboxId + "/" + seq.ToString("D19");

    /// <summary>
    /// The events of one inbox with <c>from &lt;= seq &lt;= to</c>, in key order. Parameterized on purpose:
    /// LiteDB 5.0.21's <c>Query.Between</c> writes the values into the expression's text, so every
    /// distinct range was parsed, compiled to a new delegate (JIT) and kept in LiteDB's static expression
    /// cache for good — most of the relay's CPU under load, and memory that only grew. With parameters the
    /// text is always the same and is compiled once.
    /// </summary>
    private static BsonExpression Range(string inboxId, long from, long to) =>
        BsonExpression.Create("_id BETWEEN @0 AND @1", new BsonDocument { ["0"] = KeyOf(inboxId, from), ["1"] = KeyOf(inboxId, to) });

    /// <summary>Saves the state once per group, however many events the group added.</summary>
    private void Save(WriteContext ctx, InboxState state) => ctx.OnceBeforeCommit("inbox:" + state.InboxId, () => _inboxes.Update(state));

    private void Wake(WriteContext ctx, string inboxId) => ctx.OnCommitted(() => _signals.Pulse(inboxId));

    /// <summary>On rollback the cached state is reloaded from what is on disk.</summary>
    private void Track(WriteContext ctx, string inboxId) => ctx.OnRolledBack(() =>
    {
        var onDisk = _inboxes.FindById(inboxId);
        if (onDisk is null) _states.TryRemove(inboxId, out _); else _states[inboxId] = onDisk;
    });
}
