using System.Collections.Concurrent;
using LiteDB;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// Inboxes on disk and their states in memory. Every change goes through the
/// <see cref="StoreWriter"/> (grouped commits). An event heard from Pusher is handed to readers
/// while its group commits, when its seq lies inside the inbox's reservation already on disk
/// (docs/storage.md, "Early hand-out"); others wake readers once committed. The newest events
/// are kept in memory (<see cref="InboxTails"/>), so most reads never touch the file. States are
/// cached: only writes change them, and a rolled-back write reloads them from disk. The other
/// LiteDB stores open, close and append inside their own writes (one transaction) through the
/// internal methods.
/// </summary>
public sealed class LiteDbInboxStore : IInboxStore
{
    /// <summary>Seqs reserved on disk ahead of use, per inbox; renewed when half is used, in the inbox's own save.</summary>
    internal const long SeqReserveBlock = 1024;
    private const int TailPerInbox = 32;
    /// <summary>An event's key is its inbox's number above its seq's 32 bits (docs/storage.md, "Event keys").</summary>
    private const int SeqBits = 32;
    private const long MaxSeq = (1L << SeqBits) - 1;
    private const long MaxNumber = (1L << (63 - SeqBits)) - 1;
    private const string EventsCollection = "events";
    /// <summary>Files written before 2026-12-03 keep events here, keyed by "inboxId/seq" strings: moved at start.</summary>
    private const string LegacyEventsCollection = "inbox_events";
    /// <summary>What the store notes about the file itself: a clean stop's mark (<see cref="CleanStopMark"/>).</summary>
    private const string MetaCollection = "inbox_meta";
    private const string CleanStopMark = "clean_stop";
    private const int TailTotal = 200_000;

    private static readonly Prometheus.Counter Stored = Prometheus.Metrics.CreateCounter(
        "relay_inbox_events_stored_total", "Events stored into inboxes (one per receiving inbox).");

    private readonly ConcurrentDictionary<string, InboxState> _states = new();
    private readonly StoreWriter _writer;
    private readonly ILiteCollection<InboxState> _inboxes;
    private readonly ILiteCollection<StoredEvent> _events;
    // The same collections, written with hand-made documents on the hot path (InboxBson).
    private readonly ILiteCollection<BsonDocument> _inboxDocs;
    private readonly ILiteCollection<BsonDocument> _eventDocs;
    private readonly ILiteCollection<BsonDocument> _metaDocs;
    private readonly InboxSignals _signals;
    private readonly InboxOptions _options;
    private readonly TimeProvider _clock;
    private readonly InboxTails _tails = new(TailPerInbox, TailTotal);
    // Under the writer's group lock only (the writer's thread, or an appending thread beginning the next group; StoreWriter):
    // each inbox's reservation as committed, and the highest seq handed out before its commit, under the inbox's number (an
    // inbox closed and opened again in one group is not on disk until that group commits: nothing of it goes out early).
    private readonly Dictionary<string, (long Number, long Seq)> _reservedOnDisk = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Number, long Seq)> _handedThrough = new(StringComparer.Ordinal);
    // Under the writer's group lock only: per inbox, copies handed out and fetched whose write was postponed (WriteFetchedLater).
    private readonly Dictionary<string, List<Postponed>> _postponed = new(StringComparer.Ordinal);
    // Under the writer's group lock only: each inbox's highest committed seq. An append saves the inbox's state only when it
    // renews the reservation (the next seq after a crash is past the reservation anyway), so a rollback that reloads
    // the state from disk takes its next seq from here. This, the seqs handed out and the acknowledgements below are kept
    // under the inbox's number: an inbox closed and opened again under the same id (in one group) takes none of them.
    private readonly Dictionary<string, (long Number, long Seq)> _committedThrough = new(StringComparer.Ordinal);
    // Under the writer's group lock only: each inbox's highest committed acknowledgement, under the inbox's number. An
    // acknowledgement does not save the inbox's state (docs/storage.md, "Acknowledgements"), so a rollback that reloads
    // the state from disk takes it from here, and a clean stop saves the states it names.
    private readonly Dictionary<string, (long Number, long Seq)> _acknowledgedThrough = new(StringComparer.Ordinal);
    // Under the writer's group lock only (and the constructor): the next inbox number. Never one given out earlier in this run: a
    // group rolled back after its close reached the disk, or a reader still holding a closed inbox's number, must not
    // meet another inbox under it.
    private long _nextNumber = 1;
    // The highest inbox number with events in the file at start: an open under a higher number has nothing to clear.
    private readonly long _highestNumberStored;
    // Under the writer's group lock only (and the constructor): the clean stop's mark is still in the file. The first
    // group of the run takes it away (TakeAwayCleanStopMark), in its own transaction.
    private bool _cleanStopMarkInFile;

    /// <summary>
    /// How long after its group a copy a reader already fetched is written, unless acknowledged by then
    /// (docs/storage.md, "Writes skipped for acknowledged events"). Tests set it long, to hold the write back.
    /// </summary>
    internal TimeSpan PostponeFetchedWrites { get; init; } = DefaultPostponeFetchedWrites;

    internal static readonly TimeSpan DefaultPostponeFetchedWrites = TimeSpan.FromMilliseconds(10);

    public LiteDbInboxStore(RelayDatabase db, StoreWriter writer, InboxSignals signals, InboxOptions options, TimeProvider clock)
    {
        _writer = writer;
        _signals = signals;
        _options = options;
        _clock = clock;
        _inboxes = db.Collection<InboxState>("inboxes");
        _events = db.Collection<StoredEvent>(EventsCollection);
        _inboxDocs = db.Database.GetCollection("inboxes");
        _eventDocs = db.Database.GetCollection(EventsCollection);
        _metaDocs = db.Database.GetCollection(MetaCollection);
        var states = _inboxes.FindAll().ToList();
        NumberInboxes(db.Database, states);
        _highestNumberStored = _eventDocs.Query().OrderByDescending("_id").Limit(1).ToDocuments().FirstOrDefault()?["_id"] is { IsInt64: true } highestKey
            ? highestKey.AsInt64 >> SeqBits
            : 0;
        // A clean stop saved every state and left its mark (SaveStatesAtCleanStop). Files of earlier versions have no
        // mark: their first start recovers every inbox once. Only read here: a start writes nothing, so a full disk does
        // not stop the relay from starting (the writer's probe waits for space as for any write).
        _cleanStopMarkInFile = _metaDocs.FindById(CleanStopMark) is not null;
        writer.AtEveryGroupStart(TakeAwayCleanStopMark);
        foreach (var state in states)
        {
            if (!_cleanStopMarkInFile) RecoverAfterCrash(state);
            _reservedOnDisk[state.InboxId] = (state.Number, state.SeqReservedThrough);
            _states[state.InboxId] = state;
        }
        writer.OnStopping(SaveStatesAtCleanStop);
        writer.Recovered += ForgetPostponed;
    }

    /// <summary>
    /// An inbox of a file the relay did not stop cleanly. Seqs up to its reservation (when not given back) may have been
    /// handed out and not stored: it goes on past them (the restart's relay:gap tells the clients). And acknowledgements
    /// do not save the state (docs/storage.md, "Acknowledgements"): the events one covered are gone from the file, but
    /// the state may name an older one. Its first seq is taken from the file, and what lies before it counts as
    /// acknowledged, so retention by count neither drops early nor reports as dropped what the client had. What this
    /// finds is kept as a committed seq and acknowledgement are, so a rolled-back group's reload from disk keeps it and a
    /// clean stop saves it.
    /// </summary>
    private void RecoverAfterCrash(InboxState state)
    {
        if (state.SeqReservedThrough >= state.NextSeq) state.NextSeq = state.SeqReservedThrough + 1;
        var firstStored = _eventDocs.Query().Where(Range(state.Number, state.FirstSeq, MaxSeq)).OrderBy("_id").Limit(1).ToDocuments().FirstOrDefault();
        var first = firstStored is null ? state.NextSeq : firstStored["_id"].AsInt64 & MaxSeq;
        state.FirstSeq = Math.Max(state.FirstSeq, first);
        state.AckedSeq = Math.Max(state.AckedSeq, state.FirstSeq - 1);
        _committedThrough[state.InboxId] = (state.Number, state.LastSeq);
        _acknowledgedThrough[state.InboxId] = (state.Number, state.AckedSeq);
    }

    /// <summary>
    /// The mark says the states on disk are as a clean stop saved them; the first write of the run makes that untrue, so
    /// it goes in the same transaction (a crash after that group finds no mark and recovers every inbox). A group that
    /// fails takes it away again when it is retried, or the next one does.
    /// </summary>
    private void TakeAwayCleanStopMark(WriteContext ctx)
    {
        if (!_cleanStopMarkInFile) return;
        _metaDocs.Delete(CleanStopMark);
        ctx.OnCommitted(() => _cleanStopMarkInFile = false);
    }

    /// <summary>
    /// Gives every inbox its number (files written before numbers existed have none) and moves events kept under the
    /// old string keys to the numbered collection, in one transaction; the old collection is dropped after it commits.
    /// A crash in between repeats the move at the next start (upserts: the same keys again). Runs before any write.
    /// </summary>
    private void NumberInboxes(LiteDatabase database, List<InboxState> states)
    {
        _nextNumber = states.Select(s => s.Number).DefaultIfEmpty(0).Max() + 1;
        var unnumbered = states.Where(s => s.Number == 0).ToList();
        var legacy = database.CollectionExists(LegacyEventsCollection);
        if (unnumbered.Count == 0 && !legacy) return;
        database.BeginTrans();
        try
        {
            foreach (var state in unnumbered)
            {
                state.Number = TakeNumber();
                Persist(state);
            }
            if (legacy)
            {
                var byId = states.ToDictionary(s => s.InboxId, StringComparer.Ordinal);
                foreach (var doc in database.GetCollection(LegacyEventsCollection).FindAll())
                {
                    // An event whose inbox is gone, or outside its inbox's range, was left behind by a close or a drop: not moved.
                    if (!byId.TryGetValue(doc[nameof(StoredEvent.InboxId)].AsString, out var state)) continue;
                    var seq = doc[nameof(StoredEvent.Seq)].AsInt64;
                    // The state's next seq may lag its events after a crash (it is saved with the reservation): what was
                    // stored lies within the reservation. (A close deleted its inbox's events in the same transaction, so
                    // nothing of an earlier inbox under this id is left above its seqs.)
                    if (seq < state.FirstSeq || seq > Math.Max(state.LastSeq, state.SeqReservedThrough)) continue;
                    doc["_id"] = KeyOf(state.Number, seq);
                    _eventDocs.Upsert(doc);
                }
            }
            database.Commit();
        }
        catch
        {
            database.Rollback();
            throw;
        }
        if (legacy) database.DropCollection(LegacyEventsCollection);
    }

    /// <summary>
    /// A number past every number open now and given out in this run. After a restart a number closed in an earlier run
    /// may come again; <see cref="Open(WriteContext, RelayClient)"/> clears its range first, and reads keep only their
    /// own inbox's events, so nothing left under it can reach the new inbox.
    /// </summary>
    private long TakeNumber()
    {
        if (_nextNumber > MaxNumber) throw new InvalidOperationException($"More than {MaxNumber} inbox numbers were given out (docs/storage.md, \"Event keys\").");
        return _nextNumber++;
    }

    public InboxState? StateOf(string inboxId) => _states.GetValueOrDefault(inboxId);

    public Task<InboxState?> StateOfAsync(string inboxId) => Task.FromResult(StateOf(inboxId));

    public Task<IReadOnlyList<InboxState>> AllStatesAsync() => Task.FromResult<IReadOnlyList<InboxState>>(_states.Values.ToList());

    /// <summary>The writer's queue keeps call order, and seqs are given out in queue order.</summary>
    public bool QueuesAppendsInOrder => true;

    /// <summary>
    /// Stores the event in each inbox; completes once it is on disk. Readers may have it earlier (see the class): when the
    /// writer is between groups, the seqs are given out and the event handed out on this thread, as the beginning of
    /// the next group (<see cref="StoreWriter.WriteAsync(Action{WriteContext}, Action{WriteContext})"/>).
    /// </summary>
    public async Task AppendAsync(IReadOnlyCollection<string> inboxIds, IncomingEvent e)
    {
        var run = new AppendRun();
        await _writer.WriteAsync(ctx => run.Copies = HandOut(ctx, inboxIds, e, run), ctx => Write(ctx, run.Copies!, run));
        if (run.WrittenLater is { } later) await later;
    }

    /// <summary>The same, inside a write that also does other things (one transaction); readers wake once it is committed.</summary>
    internal void Append(WriteContext ctx, IReadOnlyCollection<string> inboxIds, IncomingEvent e) => Write(ctx, HandOut(ctx, inboxIds, e, run: null), run: null);

    /// <summary>
    /// An append's first part, in memory only: each copy gets its seq and is handed to its readers when it may be.
    /// Changes nothing in the file: it may run on the appending thread before the group's transaction opens.
    /// </summary>
    private List<Copy> HandOut(WriteContext ctx, IReadOnlyCollection<string> inboxIds, IncomingEvent e, AppendRun? run)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var payload = new SharedPayload(e.Data);
        // An inbox with an event of this group that waits for the commit gets none of its later ones early: readers see seqs in order.
        var heldBack = ctx.PerGroup<HashSet<string>>("inbox-held-back");
        // Events handed out before their commit must stay in the inbox's tail until then (a reader behind finds the
        // committed ones in the file and these only in memory): at most a tail's worth per inbox and group.
        var handedEarly = ctx.PerGroup<Dictionary<string, int>>("inbox-handed-early");
        // Every copy gets its seq, and is handed to its readers when it may be, before any of them is written:
        // an event fanned out to many inboxes wakes all their polls at once, not one per insert.
        var copies = new List<Copy>(inboxIds.Count);
        var position = -1;
        foreach (var inboxId in inboxIds)
        {
            position++;
            if (!_states.TryGetValue(inboxId, out var state)) continue; // closed meanwhile
            Track(ctx, inboxId);
            // Run again after its group failed: an inbox that already had this event keeps the seq it was handed out with.
            var again = run?.SeqAt(position, state.Number) ?? 0;
            var seq = again > 0 ? again : state.NextSeq++;
            if (seq >= state.NextSeq) state.NextSeq = seq + 1;
            var stored = new StoredEvent
            {
                Id = KeyOf(state.Number, seq), InboxId = inboxId, Seq = seq,
                Channel = e.Channel, Event = e.Event, Data = e.Data, UserId = e.UserId, At = now, Payload = payload,
            };
            var early = run is not null && again == 0 && !heldBack.Contains(inboxId)
                        && Kept(_reservedOnDisk, inboxId, state.Number, out var reserved) && seq <= reserved
                        && handedEarly.GetValueOrDefault(inboxId) < TailPerInbox && WithinTailOfPostponed(inboxId, seq)
                        && _tails.Add(inboxId, stored);
            if (early)
            {
                handedEarly[inboxId] = handedEarly.GetValueOrDefault(inboxId) + 1;
                run!.HandedOut(position, state.Number, seq, inboxIds.Count);
                _handedThrough[inboxId] = (state.Number, seq);
                _signals.Pulse(inboxId);
            }
            else heldBack.Add(inboxId);
            copies.Add(new Copy(inboxId, state, stored, early));
        }
        return copies;
    }

    /// <summary>An append's second part, in the group: the copies into the file (or postponed), the states saved when they must be.</summary>
    private void Write(WriteContext ctx, List<Copy> copies, AppendRun? run)
    {
        foreach (var (inboxId, state, stored, early) in copies)
        {
            // Closed (or closed and opened again) by a write of the group that ran after the first part: nothing to store.
            if (!_states.TryGetValue(inboxId, out var current) || !ReferenceEquals(current, state)) continue;
            if (early) DecideAtCommit(ctx, new Postponed(new Copy(inboxId, state, stored, early), run!));
            // Acknowledged already by a write ahead of this one in a group begun on the caller's thread (a cursor may name
            // a seq given out but not handed out yet): the client says it has it, so it is not stored.
            else if (stored.Seq >= state.FirstSeq)
            {
                // It goes into the file and, at the commit, into the tail, where it may push out the oldest copy: the
                // inbox's postponed copies go into the file with it.
                WritePostponedOf(ctx, inboxId);
                _eventDocs.Insert(InboxBson.Of(stored));
            }
            // The state is saved only when something a restart needs changed: the reservation (the next seq after a
            // restart is past it) or what retention dropped. The next seq alone is not, so most appends write one document.
            var changed = false;
            if (state.SeqReservedThrough - stored.Seq < SeqReserveBlock / 2)
            {
                state.SeqReservedThrough = stored.Seq + SeqReserveBlock;
                changed = true;
            }
            var excess = state.NextSeq - state.FirstSeq - _options.MaxEventsPerClient;
            if (excess > 0)
            {
                Drop(state, state.FirstSeq + excess - 1);
                changed = true;
            }
            if (changed) Save(ctx, state);
            ctx.OnCommitted(() => Committed(inboxId, state, stored, early));
        }
        if (copies.Count > 0) ctx.OnCommitted(() => Stored.Inc(copies.Count));
    }

    private readonly record struct Copy(string InboxId, InboxState State, StoredEvent Stored, bool Early);

    /// <summary>A copy handed out before its commit, whose write waits for the end of its group (or later).</summary>
    private sealed class Postponed(Copy copy, AppendRun run)
    {
        public Copy Copy { get; } = copy;
        public AppendRun Run { get; } = run;
        /// <summary>Written, or found acknowledged, dropped or closed, by a committed group: nothing more to do.</summary>
        public bool Settled { get; set; }
    }

    /// <summary>
    /// After a storage failure every write for later failed (its appends tell their inboxes relay:gap): the copies it
    /// held will never be in the file, so the tails that hold them go too, or early hand-outs would go on from them and
    /// a reader would later find the file without them.
    /// </summary>
    private void ForgetPostponed()
    {
        foreach (var inboxId in _postponed.Keys) _tails.Forget(inboxId);
        _postponed.Clear();
    }

    /// <summary>
    /// A copy handed out early goes into the memory tail, which keeps the newest 32 of the inbox in one run of seqs: it
    /// may not push a postponed copy out, nor start a new run without it (after a rolled-back group forgot the tail).
    /// Otherwise it waits for the commit, and its group writes the postponed copies (a reader finding the tail without
    /// them reads the file, which must then have them).
    /// </summary>
    private bool WithinTailOfPostponed(string inboxId, long seq)
    {
        if (!_postponed.TryGetValue(inboxId, out var list)) return true;
        var oldest = list[0].Copy.Stored.Seq;
        return seq - oldest < TailPerInbox && _tails.Snapshot(inboxId) is { Length: > 0 } tail && tail[0].Seq <= oldest && tail[^1].Seq == seq - 1;
    }

    /// <summary>A copy handed out early is written when its group ends: now, or later if a reader already has it.</summary>
    private void DecideAtCommit(WriteContext ctx, Postponed copy)
    {
        var early = ctx.PerGroup<List<Postponed>>("inbox-early-copies");
        if (early.Count == 0) ctx.OnceBeforeCommit("inbox-early-copies", () => WriteOrPostpone(ctx, early));
        early.Add(copy);
    }

    /// <summary>
    /// The end of a group, once every write of it ran. A copy no reader has fetched yet is written now: a client that
    /// is not waiting keeps the durability it had. A fetched one is written <see cref="PostponeFetchedWrites"/> later,
    /// unless its acknowledgement (ahead of the queue) came by then, and then never, nor deleted. But the file never
    /// gets a copy of an inbox while an older one of it waits: a reader that finds the tail gone (a rolled-back group
    /// forgets it) reads the file and would go on past the one missing. So an inbox with a copy written now (not
    /// fetched, or waiting for this commit) has all its copies of the group and all its postponed ones written now.
    /// </summary>
    private void WriteOrPostpone(WriteContext ctx, List<Postponed> early)
    {
        var writeNow = new HashSet<string>(ctx.PerGroup<HashSet<string>>("inbox-held-back"), StringComparer.Ordinal);
        foreach (var copy in early)
        {
            if (!copy.Copy.Stored.Fetched) writeNow.Add(copy.Copy.InboxId);
        }
        var later = new List<Postponed>();
        foreach (var copy in early)
        {
            if (!StillWanted(copy.Copy)) continue;
            if (writeNow.Contains(copy.Copy.InboxId)) _eventDocs.Insert(InboxBson.Of(copy.Copy.Stored));
            else later.Add(copy);
        }
        foreach (var inboxId in writeNow) WritePostponedOf(ctx, inboxId);
        if (later.Count == 0) return;
        ctx.OnCommitted(() =>
        {
            foreach (var copy in later)
            {
                if (!_postponed.TryGetValue(copy.Copy.InboxId, out var list)) _postponed[copy.Copy.InboxId] = list = [];
                list.Add(copy);
            }
            var written = _writer.WriteLaterAsync(PostponeFetchedWrites, next => WritePostponed(next, later));
            foreach (var copy in later) copy.Run.WrittenLater = written;
        });
    }

    /// <summary>Writes the inbox's postponed copies in this group: a newer copy of it is written now.</summary>
    private void WritePostponedOf(WriteContext ctx, string inboxId)
    {
        if (_postponed.TryGetValue(inboxId, out var waiting)) WritePostponed(ctx, waiting.ToList());
    }

    /// <summary>Writes the copies still wanted (once per group: an inbox held back may have written them already); each is settled once this group commits.</summary>
    private void WritePostponed(WriteContext ctx, List<Postponed> copies)
    {
        var writtenInGroup = ctx.PerGroup<HashSet<Postponed>>("inbox-postponed-written");
        foreach (var copy in copies)
        {
            if (copy.Settled || !writtenInGroup.Add(copy)) continue;
            var wanted = StillWanted(copy.Copy);
            if (wanted) _eventDocs.Insert(InboxBson.Of(copy.Copy.Stored));
            ctx.OnCommitted(() => Settle(copy, written: wanted));
        }
    }

    private void Settle(Postponed copy, bool written)
    {
        if (copy.Settled) return;
        copy.Settled = true;
        var inboxId = copy.Copy.InboxId;
        if (_postponed.TryGetValue(inboxId, out var list) && list.Remove(copy) && list.Count == 0) _postponed.Remove(inboxId);
        // A reader behind finds it in the file now; wake one whose tail lost it (a rolled-back group forgets tails).
        if (written && !(_tails.Snapshot(inboxId) is { Length: > 0 } tail && tail[0].Seq <= copy.Copy.Stored.Seq)) _signals.Pulse(inboxId);
    }

    /// <summary>
    /// Its inbox is still open under the same number (a rolled-back group reloads the state object; a closed and
    /// reopened inbox gets a new number) and has not acknowledged or dropped it.
    /// </summary>
    private bool StillWanted(Copy copy) =>
        _states.TryGetValue(copy.InboxId, out var current) && current.Number == copy.State.Number && copy.Stored.Seq >= current.FirstSeq;

    private void Committed(string inboxId, InboxState state, StoredEvent stored, bool handedOut)
    {
        if (_states.TryGetValue(inboxId, out var current) && ReferenceEquals(current, state))
        {
            _reservedOnDisk[inboxId] = (state.Number, state.SeqReservedThrough);
            var before = Kept(_committedThrough, inboxId, state.Number, out var committed) ? committed : 0;
            _committedThrough[inboxId] = (state.Number, Math.Max(stored.Seq, before));
            if (!handedOut && stored.Seq >= state.FirstSeq) _tails.Add(inboxId, stored);
        }
        if (!handedOut) _signals.Pulse(inboxId);
    }

    /// <summary>
    /// Everything up to <paramref name="seq"/> is handled: the relay may forget it. Ahead of the writer's queue, so a
    /// postponed write of what it covers is skipped. It covers at most the inbox's last seq, which may be one given out but
    /// not handed out yet (a group begun on the caller's thread); that copy is then not stored (<see cref="Write"/>).
    /// The events it covers leave the file in its group; the inbox's state is not saved for it (docs/storage.md,
    /// "Acknowledgements"): the next save of the state, or a clean stop, carries it.
    /// </summary>
    public Task AcknowledgeAsync(string inboxId, long seq) => _writer.WriteAheadAsync(ctx =>
    {
        if (!_states.TryGetValue(inboxId, out var state)) return;
        var upTo = Math.Min(seq, state.LastSeq);
        if (upTo <= state.AckedSeq) return;
        Track(ctx, inboxId);
        state.AckedSeq = upTo;
        _tails.TrimThrough(inboxId, upTo);
        if (upTo >= state.FirstSeq)
        {
            DeleteRange(state, state.FirstSeq, upTo);
            state.FirstSeq = upTo + 1;
        }
        ctx.OnCommitted(() => _acknowledgedThrough[inboxId] = (state.Number, upTo));
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
            CreatedAt = _clock.GetUtcNow().UtcDateTime, SeqReservedThrough = SeqReserveBlock, Number = TakeNumber(),
        };
        // Anything an earlier run left under this number (none above the highest number stored at start: numbers given
        // out in this run are new). Skipping the query saves parsing its expression on every registration.
        if (fresh.Number <= _highestNumberStored) _events.DeleteMany(Range(fresh.Number, 0, MaxSeq));
        _inboxes.Insert(fresh);
        _states[id] = fresh;
        ctx.OnCommitted(() => _reservedOnDisk[id] = (fresh.Number, fresh.SeqReservedThrough));
        ctx.OnRolledBack(() => _states.TryRemove(new KeyValuePair<string, InboxState>(id, fresh)));
    }

    /// <summary>Drops the inbox and its events; its waiting polls wake and see it gone.</summary>
    public Task CloseAsync(RelayClient client) => _writer.WriteAsync(ctx => Close(ctx, client.InboxId));

    /// <summary>Closes the inbox inside a write that also does other things; nothing when it is not open.</summary>
    internal void Close(WriteContext ctx, string id)
    {
        if (!_states.TryRemove(id, out var state)) return;
        ctx.OnRolledBack(() => _states[id] = state);
        _tails.Forget(id);
        ctx.OnCommitted(() =>
        {
            // Opened again in the same group: what is kept under the old number stays until the new inbox's own replaces it, and
            // nothing takes it meanwhile (the number differs).
            if (_states.ContainsKey(id)) return;
            _reservedOnDisk.Remove(id);
            _handedThrough.Remove(id);
            _committedThrough.Remove(id);
            _acknowledgedThrough.Remove(id);
        });
        _events.DeleteMany(Range(state.Number, 0, MaxSeq));
        _inboxes.Delete(id);
        Wake(ctx, id);
    }

    public Task SetSubscriptionsAsync(string inboxId, IReadOnlyList<string> channels) => _writer.WriteAsync(ctx =>
    {
        if (!_states.TryGetValue(inboxId, out var state)) return;
        Track(ctx, inboxId);
        state.Subscriptions = channels.ToList();
        Persist(state);
    });

    /// <summary>
    /// Retention by age: drops events older than the retention period. Each inbox's events are read
    /// oldest first by key, up to the first one young enough (seqs are handed out in time order).
    /// </summary>
    public Task ExpireAsync() => _writer.WriteAsync(ctx =>
    {
        var cutoff = _clock.GetUtcNow().UtcDateTime - _options.Retention;
        foreach (var state in _states.Values)
        {
            if (state.FirstSeq > state.LastSeq) continue;
            long expired = 0;
            foreach (var e in _events.Query().Where(Range(state.Number, state.FirstSeq, state.LastSeq)).OrderBy("_id").ToEnumerable())
            {
                if (UtcDates.Utc(e.At) >= cutoff) break;
                expired = e.Seq;
            }
            if (expired == 0) continue;
            Track(ctx, state.InboxId);
            Drop(state, expired);
            Persist(state);
            Wake(ctx, state.InboxId);
        }
    });

    /// <summary>
    /// From memory when the inbox's tail reaches back to <paramref name="after"/>; else from the file,
    /// completed with what memory has that is not committed yet. The tail is taken first: an event
    /// committed between the two reads is in one of them.
    /// </summary>
    public Task<List<StoredEvent>> ReadAfterAsync(string inboxId, long after, int limit)
    {
        // Nothing after the cursor, in memory or in the file: the usual round of a held poll, whose inbox's tail went
        // with its acknowledgement. Not reading the file saves a query per round (a tenth of the relay's CPU while
        // 10,000 polls were held). An event given its seq after this check is pulsed after it, and the reader took
        // its signal before reading.
        if (!_states.TryGetValue(inboxId, out var state) || after >= state.LastSeq) return Task.FromResult(new List<StoredEvent>());
        var tail = _tails.Snapshot(inboxId);
        if (InboxTails.Read(tail, after, limit) is { } fromMemory) return Task.FromResult(fromMemory);
        var stored = ReadAfter(state, after, limit);
        InboxTails.Complete(stored, tail, after, limit);
        return Task.FromResult(stored);
    }

    /// <summary>The file's events of <paramref name="state"/>'s inbox after <paramref name="after"/>, which is below its last seq.</summary>
    private List<StoredEvent> ReadAfter(InboxState state, long after, int limit)
    {
        var read = _events.Query().Where(Range(state.Number, Math.Max(0, after + 1), MaxSeq)).OrderBy("_id").Limit(limit).ToList();
        // The key names the inbox by number only: what another inbox stored under it (it cannot happen in one run; see
        // TakeNumber) is never handed to this one.
        read.RemoveAll(e => !string.Equals(e.InboxId, state.InboxId, StringComparison.Ordinal));
        return read;
    }

    /// <summary>Forgets events up to <paramref name="throughSeq"/>, noting a gap if any were unacknowledged.</summary>
    private void Drop(InboxState state, long throughSeq)
    {
        if (throughSeq < state.FirstSeq) return;
        _tails.TrimThrough(state.InboxId, throughSeq);
        DeleteRange(state, state.FirstSeq, throughSeq);
        if (throughSeq > state.AckedSeq) state.DroppedThrough = Math.Max(state.DroppedThrough, throughSeq);
        state.FirstSeq = throughSeq + 1;
    }

    /// <summary>
    /// Deletes the inbox's events <paramref name="from"/>..<paramref name="to"/>. A few (the usual
    /// acknowledgement of one poll's answer) are deleted by key: a range query parses its expression
    /// on every call, which cost more than the deletes themselves (docs/performance.md).
    /// </summary>
    private void DeleteRange(InboxState state, long from, long to)
    {
        if (to - from < 32)
        {
            for (var seq = from; seq <= to; seq++) _events.Delete(KeyOf(state.Number, seq));
        }
        else _events.DeleteMany(Range(state.Number, from, to));
    }

    /// <summary>
    /// An event's key sorts by inbox, then seq, so a range scan of keys reads an inbox in order. A number, not a string:
    /// LiteDB's skip list reads the key of every node it passes, and a string key is decoded and compared each time
    /// (docs/storage.md, "Event keys").
    /// </summary>
    private static long KeyOf(long number, long seq)
    {
        if (seq is < 0 or > MaxSeq) throw new InvalidOperationException($"seq {seq} is beyond what an event key holds ({MaxSeq}).");
        return (number << SeqBits) | seq;
    }

    /// <summary>
    /// The events of one inbox with <c>from &lt;= seq &lt;= to</c>, in key order. Parameterized on purpose:
    /// LiteDB 5.0.21's <c>Query.Between</c> writes the values into the expression's text, so every
    /// distinct range was parsed, compiled to a new delegate (JIT) and kept in LiteDB's static expression
    /// cache for good — most of the relay's CPU under load, and memory that only grew. With parameters the
    /// text is always the same and is compiled once.
    /// </summary>
    private static BsonExpression Range(long number, long from, long to) =>
        BsonExpression.Create("_id BETWEEN @0 AND @1", new BsonDocument { ["0"] = KeyOf(number, from), ["1"] = KeyOf(number, Math.Min(to, MaxSeq)) });

    /// <summary>
    /// Saves the inbox's state once per group, however many events the group added: the state it has when the group
    /// ends. Not the object given here, which a later write of the group may have closed (its document deleted) or
    /// replaced by an inbox opened again under the same id (whose document it would overwrite).
    /// </summary>
    private void Save(WriteContext ctx, InboxState state)
    {
        var inboxId = state.InboxId;
        ctx.OnceBeforeCommit("inbox:" + inboxId, () =>
        {
            if (_states.TryGetValue(inboxId, out var current)) Persist(current);
        });
    }

    private void Persist(InboxState state) => _inboxDocs.Update(InboxBson.Of(state));

    private void Wake(WriteContext ctx, string inboxId) => ctx.OnCommitted(() => _signals.Pulse(inboxId));

    /// <summary>
    /// The seq kept for the inbox in _reservedOnDisk, _handedThrough, _committedThrough or _acknowledgedThrough, if kept under this number: what is
    /// kept for an inbox closed and opened again under the same id belongs to its predecessor.
    /// </summary>
    private static bool Kept(Dictionary<string, (long Number, long Seq)> kept, string inboxId, long number, out long seq)
    {
        var found = kept.TryGetValue(inboxId, out var entry) && entry.Number == number;
        seq = found ? entry.Seq : 0;
        return found;
    }

    /// <summary>
    /// On rollback the cached state is reloaded from what is on disk, except that a seq handed out
    /// before the failed commit is never given to another event, and a committed acknowledgement (which
    /// does not save the state) stays.
    /// </summary>
    private void Track(WriteContext ctx, string inboxId) => ctx.OnRolledBack(() =>
    {
        _tails.Forget(inboxId);
        var onDisk = _inboxes.FindById(inboxId);
        if (onDisk is null) { _states.TryRemove(inboxId, out _); return; }
        if (Kept(_handedThrough, inboxId, onDisk.Number, out var handed) && handed >= onDisk.NextSeq) onDisk.NextSeq = handed + 1;
        if (Kept(_committedThrough, inboxId, onDisk.Number, out var committed) && committed >= onDisk.NextSeq) onDisk.NextSeq = committed + 1;
        // The events a committed acknowledgement covered are gone from the file, though the state on disk may not say so.
        if (Kept(_acknowledgedThrough, inboxId, onDisk.Number, out var acked) && acked > onDisk.AckedSeq)
        {
            onDisk.AckedSeq = acked;
            onDisk.FirstSeq = Math.Max(onDisk.FirstSeq, acked + 1);
        }
        _states[inboxId] = onDisk;
    });

    /// <summary>
    /// A clean stop (the writer's last write): nothing is handed out any more, so the unused
    /// reservations are given back and the next start goes on at each inbox's next seq; the
    /// acknowledgements not saved yet are saved; and the file gets the clean stop's mark. A start
    /// that finds no mark recovers every inbox (<see cref="RecoverAfterCrash"/>).
    /// </summary>
    private void SaveStatesAtCleanStop(WriteContext ctx)
    {
        _metaDocs.Upsert(new BsonDocument { ["_id"] = CleanStopMark, ["At"] = _clock.GetUtcNow().UtcDateTime });
        ctx.OnCommitted(() => _cleanStopMarkInFile = true);
        foreach (var state in _states.Values)
        {
            if (state.SeqReservedThrough <= state.LastSeq && !Kept(_acknowledgedThrough, state.InboxId, state.Number, out _)) continue;
            Track(ctx, state.InboxId);
            state.SeqReservedThrough = Math.Min(state.SeqReservedThrough, state.LastSeq);
            Persist(state);
        }
    }

    /// <summary>The seqs one append handed out before its commit, by position in its inbox list (kept for a run after a failed group).</summary>
    private sealed class AppendRun
    {
        private (long Number, long Seq)[]? _handedOut;

        /// <summary>
        /// The seq the inbox at this position was handed out with, when it is still the inbox of that number (one closed
        /// and opened again since is another inbox: its seqs start afresh); otherwise 0.
        /// </summary>
        public long SeqAt(int position, long number) => _handedOut?[position] is { Seq: > 0 } given && given.Number == number ? given.Seq : 0;

        public void HandedOut(int position, long number, long seq, int inboxes) => (_handedOut ??= new (long, long)[inboxes])[position] = (number, seq);

        /// <summary>What <see cref="HandOut"/> gave out, for the write's second part.</summary>
        public List<Copy>? Copies { get; set; }

        /// <summary>The write of this append's copies that were postponed; null when none was.</summary>
        public Task? WrittenLater { get; set; }
    }
}
