using System.Diagnostics;
using System.Threading.Channels;

namespace Realtime.Relay.Storage;

/// <summary>What a write sees while its group's transaction is open.</summary>
public sealed class WriteContext
{
    internal readonly List<Action> Committed = [];
    internal readonly List<Action> RolledBack = [];
    internal readonly Dictionary<string, Action> BeforeCommit = [];
    private Dictionary<string, object>? _perGroup;

    /// <summary>
    /// Runs once, just before the group commits, however many writes of the group ask with
    /// the same key — e.g. saving a document that many writes changed.
    /// </summary>
    public void OnceBeforeCommit(string key, Action action) => BeforeCommit.TryAdd(key, action);

    /// <summary>One object per group and key, shared by the group's writes (e.g. what they decided together).</summary>
    public T PerGroup<T>(string key) where T : class, new()
    {
        _perGroup ??= [];
        if (!_perGroup.TryGetValue(key, out var value)) _perGroup[key] = value = new T();
        return (T)value;
    }

    /// <summary>Runs once the group is on disk (wake waiters, update caches others read).</summary>
    public void OnCommitted(Action action) => Committed.Add(action);

    /// <summary>Runs if the group is rolled back (restore in-memory state changed by the write).</summary>
    public void OnRolledBack(Action action) => RolledBack.Add(action);
}

/// <summary>
/// The one writer of the LiteDB file (README.md, "Storage"). Writes queue up and are
/// committed in groups, many per transaction, so throughput is not one disk flush per
/// write; each caller's task completes once its write is committed. A group runs
/// synchronously on one thread — no LiteDB transaction spans an await. If one write of a
/// group throws, the group is rolled back and the others are committed one by one, so one
/// bad write cannot lose its neighbours.
/// When the disk itself fails (full, read-only, I/O error) the whole group fails with
/// <see cref="StorageUnavailableException"/>, the engine is reopened (LiteDB cannot go on with
/// the failed one), and from then on writes fail at once while a small probe write retries
/// with back-off; the first probe that commits makes storage available again.
/// </summary>
public sealed class StoreWriter(RelayDatabase db, ILogger<StoreWriter> log) : BackgroundService, IStorageRecovery
{
    public const int MaxGroup = 2000;
    private static readonly TimeSpan FirstProbeDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxProbeDelay = TimeSpan.FromSeconds(5);

    // Not SingleReader: that channel cannot count what it holds, and a write begins on its caller's thread only when nothing is queued.
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>();
    /// <summary>Writes the next group runs before those queued (<see cref="WriteAheadAsync"/>).</summary>
    private readonly Channel<WorkItem> _ahead = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    /// <summary>The writer's thread only: writes for a group that starts at or after their time (<see cref="WriteLaterAsync"/>), earliest first.</summary>
    private readonly List<(WorkItem Item, long Due)> _later = [];
    /// <summary>Cache repairs that could not read the disk yet; run before anything else once it answers.</summary>
    private readonly List<Action> _pendingUndo = [];
    private bool _needsReopen;
    private TimeSpan _probeDelay = FirstProbeDelay;

    private readonly List<Action<WriteContext>> _lastWrites = [];

    /// <summary>
    /// Held by the writer while it takes and runs a group (and while it fails, probes or stops), and by a caller that
    /// begins the next group on its own thread (<see cref="WriteAsync(Action{WriteContext}, Action{WriteContext})"/>).
    /// What the stores call "the writer's thread only" is touched only under it.
    /// </summary>
    private readonly object _groupLock = new();
    /// <summary>
    /// Under the group lock: the next group's context, begun on a caller's thread, and that caller's write. The write
    /// runs first in that group (after the writes ahead): it holds the earliest seqs of anything queued by then.
    /// </summary>
    private WriteContext? _begunContext;
    private WorkItem? _begunItem; // until the writer takes it into a group
    private WorkItem? _begunContextOf; // until that group's first try
    private int _writerThreadId;
    private long _writesBegunByCaller;

    /// <summary>How many two-part writes began on their caller's thread (diagnostics and tests).</summary>
    internal long WritesBegunByCaller => Interlocked.Read(ref _writesBegunByCaller);

    /// <summary>
    /// A write run once more when the writer stops cleanly, after everything queued (e.g. giving back
    /// what was reserved ahead of use). Registered at start-up.
    /// </summary>
    public void OnStopping(Action<WriteContext> work)
    {
        lock (_lastWrites) _lastWrites.Add(work);
    }

    /// <summary>
    /// Work run in every group's transaction before its writes, so that whatever commits first in a run also commits it
    /// (e.g. taking away a clean stop's mark). Registered at start-up; it must be cheap when it has nothing to do.
    /// </summary>
    public void AtEveryGroupStart(Action<WriteContext> work)
    {
        lock (_lastWrites) _atGroupStart = [.. _atGroupStart, work];
    }

    private volatile Action<WriteContext>[] _atGroupStart = [];

    /// <summary>Raised (on the writer's thread) when storage works again after a failure.</summary>
    public event Action? Recovered;

    public Task<T> WriteAsync<T>(Func<WriteContext, T> work)
    {
        var item = new WorkItem<T>(work);
        Queue(item);
        return item.Task;
    }

    /// <summary>
    /// Queues the write for the writer's thread (on <paramref name="lane"/>, the queue when null), or fails it at once
    /// while storage is unavailable or after the stop. True when it is queued.
    /// </summary>
    private bool Queue(WorkItem item, ChannelWriter<WorkItem>? lane = null)
    {
        if (db.UnavailableReason is { } reason) item.Fail(new StorageUnavailableException(reason));
        else if (!(lane ?? _queue.Writer).TryWrite(item)) item.Fail(Stopped());
        else return true;
        return false;
    }

    private static InvalidOperationException Stopped() => new("The store writer has stopped.");

    public Task WriteAsync(Action<WriteContext> work) => WriteAsync<bool>(ctx => { work(ctx); return true; });

    /// <summary>
    /// A write in two parts, the first of which may run at once on the caller's thread, as the beginning of the next
    /// group, when the writer is between groups and nothing is queued: an event is then handed to waiting readers
    /// without waiting for the writer's thread to wake (docs/storage.md, "Early hand-out"). Otherwise both run in the
    /// group, as <see cref="WriteAsync(Action{WriteContext})"/>. <paramref name="begin"/> may change only memory (no
    /// file access: the group's transaction is not open yet), and must register in the context how to undo it; it runs
    /// again if its group fails and the write is retried alone.
    /// </summary>
    public Task WriteAsync(Action<WriteContext> begin, Action<WriteContext> work)
    {
        var item = new WorkItem<bool>(ctx => { work(ctx); return true; }, begin);
        // Never on the writer's thread (a write's work or a commit callback that appends): the lock is reentrant, and a
        // group begun inside a group would give its context to the wrong one.
        if (db.UnavailableReason is null && _queue.Reader.Count == 0 && Environment.CurrentManagedThreadId != _writerThreadId && Monitor.TryEnter(_groupLock))
        {
            try
            {
                // Between groups, with nothing queued: this write begins the next group. Other callers may queue writes
                // before the writer takes it; it still runs first in that group (TakeQueued).
                if (_queue.Reader.Count == 0 && _begunContext is null && db.UnavailableReason is null && BeginOnCallersThread(item))
                    return item.Task;
            }
            finally { Monitor.Exit(_groupLock); }
        }
        Queue(item);
        return item.Task;
    }

    /// <summary>
    /// Under the group lock: queues the write, then runs its first part in a new group context. Queued first, so a writer
    /// that has stopped hands nothing out, and a first part that throws leaves the write in its place in the queue (its
    /// group runs both parts, failing there as any write does). True once the write is queued or has failed.
    /// </summary>
    private bool BeginOnCallersThread(WorkItem item)
    {
        if (!Queue(item)) return true;
        var ctx = new WriteContext();
        try { item.Begin(ctx); }
        catch (Exception)
        {
            Undo(ctx);
            item.Reset();
            return true;
        }
        _begunContext = ctx;
        _begunItem = _begunContextOf = item;
        Interlocked.Increment(ref _writesBegunByCaller);
        return true;
    }

    /// <summary>
    /// A write the next group runs before the writes queued so far: an acknowledgement, which lets a write queued for
    /// the events it covers be skipped (docs/storage.md, "Writes skipped for acknowledged events"). Only for writes
    /// whose order against the queued ones does not matter.
    /// </summary>
    public Task WriteAheadAsync(Action<WriteContext> work)
    {
        var item = new WorkItem<bool>(ctx => { work(ctx); return true; });
        if (Queue(item, _ahead.Writer)) _queue.Writer.TryWrite(WakeUp.Instance); // refused only while stopping, and the stop runs what is ahead
        return item.Task;
    }

    /// <summary>
    /// From the writer's thread (a group's <see cref="WriteContext.OnCommitted"/>): a write for the first group that
    /// starts <paramref name="after"/> from now, run after that group's queued writes. The writer starts a group for it
    /// when it is due even if nothing else is queued, and a clean stop runs it at once.
    /// </summary>
    internal Task WriteLaterAsync(TimeSpan after, Action<WriteContext> work)
    {
        var item = new WorkItem<bool>(ctx => { work(ctx); return true; });
        var due = Stopwatch.GetTimestamp() + (long)(after.TotalSeconds * Stopwatch.Frequency);
        var at = _later.Count;
        while (at > 0 && _later[at - 1].Due > due) at--;
        _later.Insert(at, (item, due));
        return item.Task;
    }

    /// <summary>
    /// The writer runs on a thread of its own, not the thread pool's: a group is synchronous work (LiteDB, the disk's
    /// flush) that would hold a pool thread for its whole length, and the pool answers that by starting more threads,
    /// which then compete with the writer for the cores (docs/performance.md).
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            _writerThreadId = Environment.CurrentManagedThreadId;
            try
            {
                Run(stoppingToken);
                done.TrySetResult();
            }
            catch (Exception e) { done.TrySetException(e); }
        })
        { IsBackground = true, Name = "store writer" };
        thread.Start();
        return done.Task;
    }

    private void Run(CancellationToken stoppingToken)
    {
        var group = new List<WorkItem>(MaxGroup);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (db.UnavailableReason is { } reason)
                {
                    lock (_groupLock)
                    {
                        FailQueued(reason);
                        FailLater(reason);
                    }
                    if (stoppingToken.WaitHandle.WaitOne(_probeDelay)) break;
                    lock (_groupLock) Probe();
                    continue;
                }
                if (!WaitForWork(stoppingToken)) break;
                lock (_groupLock)
                {
                    TakeQueued(group, MaxGroup);
                    TakeLater(group, Stopwatch.GetTimestamp());
                    if (group.Count == 0) continue;
                    try { CommitGroup(group); }
                    catch (Exception e)
                    {
                        // Never let the writer stop: every later write would wait forever.
                        log.LogError(e, "The store writer failed on a group of {Count} writes", group.Count);
                        foreach (var item in group) item.Fail(e);
                    }
                    group.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            // Held to the end: a write begun on a caller's thread is either queued before the queue completes (and committed
            // below) or not begun at all.
            lock (_groupLock)
            {
                // What is queued at shutdown is committed, not dropped.
                _ahead.Writer.TryComplete(); // first: a write ahead that got in is then also woken for and run below
                _queue.Writer.TryComplete();
                group.Clear();
                TakeQueued(group, int.MaxValue);
                // Writes for later are due now; their group's commit may ask for more (none does today): until none is left.
                TakeLater(group, long.MaxValue);
                while (group.Count > 0)
                {
                    if (db.UnavailableReason is { } reason)
                    {
                        UndoBegun();
                        foreach (var item in group) item.Fail(new StorageUnavailableException(reason));
                    }
                    else CommitGroup(group);
                    group.Clear();
                    TakeLater(group, long.MaxValue);
                }
                RunLastWrites();
            }
        }
    }

    /// <summary>
    /// Blocks this (dedicated) thread until a write is queued or the first write for later is due; false once the
    /// queue is completed.
    /// </summary>
    private bool WaitForWork(CancellationToken stoppingToken)
    {
        var ready = _queue.Reader.WaitToReadAsync(stoppingToken);
        if (ready.IsCompleted) return ready.Result;
        if (_later.Count == 0) return ready.AsTask().GetAwaiter().GetResult();
        // Whole milliseconds, rounded up: a wait cut short of the due time would spin until it comes.
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _later[0].Due);
        var milliseconds = (int)Math.Clamp(Math.Ceiling(wait.TotalMilliseconds), 0, int.MaxValue);
        var task = ready.AsTask();
        try
        {
            if (!task.Wait(milliseconds)) return true; // a write for later is due
        }
        catch (AggregateException) { } // stopping: GetResult throws it as it is
        return task.GetAwaiter().GetResult();
    }

    /// <summary>The writes ahead of the queue, then the queued ones up to <paramref name="max"/> in all (wake-up markers are no writes).</summary>
    private void TakeQueued(List<WorkItem> group, int max)
    {
        while (_ahead.Reader.TryRead(out var first)) group.Add(first);
        // A write begun on a caller's thread runs first among the queued ones, however many other callers queued ahead of
        // it meanwhile: its seqs were given out before theirs, and its context is this group's.
        var begunAt = group.Count;
        while ((group.Count < max || _begunItem is not null) && _queue.Reader.TryRead(out var item))
        {
            if (ReferenceEquals(item, _begunItem))
            {
                group.Insert(begunAt, item);
                _begunItem = null;
            }
            else if (item is not WakeUp) group.Add(item);
        }
    }

    /// <summary>Appends the writes for later that are due by <paramref name="now"/>, after the group's queued ones.</summary>
    private void TakeLater(List<WorkItem> group, long now)
    {
        var due = 0;
        while (due < _later.Count && _later[due].Due <= now) group.Add(_later[due++].Item);
        _later.RemoveRange(0, due);
    }

    private void FailLater(string reason)
    {
        foreach (var (item, _) in _later) item.Fail(new StorageUnavailableException(reason));
        _later.Clear();
    }

    private void RunLastWrites()
    {
        List<WorkItem> last;
        lock (_lastWrites) last = _lastWrites.Select(work => (WorkItem)new WorkItem<bool>(ctx => { work(ctx); return true; })).ToList();
        if (last.Count == 0 || db.UnavailableReason is not null) return;
        try { CommitGroup(last); }
        catch (Exception e) { log.LogWarning("The writer's last writes failed: {Reason}", e.Message); }
    }

    private void FailQueued(string reason)
    {
        UndoBegun();
        while (_ahead.Reader.TryRead(out var first)) first.Fail(new StorageUnavailableException(reason));
        while (_queue.Reader.TryRead(out var item)) item.Fail(new StorageUnavailableException(reason));
    }

    /// <summary>A begun group that never runs (its writes fail): what its first write changed in memory is undone, as a rolled-back group's is.</summary>
    private void UndoBegun()
    {
        if (_begunContext is not { } begun) return;
        Undo(begun);
        _begunContext = null;
        _begunItem = _begunContextOf = null;
    }

    /// <summary>Reopens if needed, repairs caches, and tries one tiny write; success ends the outage.</summary>
    private void Probe()
    {
        try
        {
            if (_needsReopen && !db.Reopen(db.UnavailableReason ?? "reopening")) throw new StorageUnavailableException(db.UnavailableReason ?? "the database file cannot be opened");
            _needsReopen = false;
            foreach (var undo in _pendingUndo) undo();
            _pendingUndo.Clear();
            db.Database.BeginTrans();
            db.Database.GetCollection("relay_probe").Upsert(new LiteDB.BsonDocument { ["_id"] = "probe", ["at"] = DateTime.UtcNow });
            db.Database.Commit();
        }
        catch (Exception e)
        {
            try { db.Database.Rollback(); } catch (Exception) { /* the engine is reopened next time */ }
            _needsReopen = true;
            db.MarkUnavailable(StorageFailures.Describe(e));
            _probeDelay = TimeSpan.FromTicks(Math.Min(MaxProbeDelay.Ticks, _probeDelay.Ticks * 2));
            return;
        }
        _probeDelay = FirstProbeDelay;
        db.MarkAvailable();
        try { Recovered?.Invoke(); }
        catch (Exception e) { log.LogError(e, "A storage-recovered handler failed"); }
    }

    private void CommitGroup(List<WorkItem> group)
    {
        if (TryCommit(group, out var failure)) return;
        if (StorageFailures.IsStorageFailure(failure!))
        {
            var reason = StorageFailures.Describe(failure!);
            db.MarkUnavailable(reason);
            foreach (var item in group) item.Fail(new StorageUnavailableException(reason, failure));
            return;
        }
        if (group.Count == 1)
        {
            log.LogError(failure, "A store write failed and was rolled back");
            group[0].Fail(failure!);
            return;
        }
        foreach (var item in group) CommitGroup([item]);
    }

    private bool TryCommit(List<WorkItem> group, out Exception? failure)
    {
        // The first try of the group a caller began uses that context; a retry of its writes one by one gets new ones.
        var ctx = new WriteContext();
        if (_begunContext is { } begun && group.Contains(_begunContextOf!))
        {
            ctx = begun;
            _begunContext = null;
            _begunContextOf = null;
        }
        try
        {
            db.Database.BeginTrans();
            foreach (var work in _atGroupStart) work(ctx);
            foreach (var item in group) item.Run(ctx);
            foreach (var flush in ctx.BeforeCommit.Values) flush();
            try { db.Database.Commit(); }
            catch (Exception e) when (!StorageFailures.IsStorageFailure(e))
            {
                // The writes ran; it is the commit that failed: that is the disk, not the writes.
                throw new StorageUnavailableException(e.Message, e);
            }
        }
        catch (Exception e)
        {
            var storage = StorageFailures.IsStorageFailure(e);
            try { db.Database.Rollback(); }
            catch (Exception rollbackError)
            {
                log.LogError("Rollback failed: {Reason}", rollbackError.Message);
                storage = true;
            }
            if (storage)
            {
                // LiteDB 5.0.21 cannot go on with an engine whose disk write failed; caches are
                // repaired from the reopened file.
                db.MarkUnavailable(StorageFailures.Describe(e));
                _needsReopen = !db.Reopen(StorageFailures.Describe(e));
                if (e is not StorageUnavailableException && !StorageFailures.IsStorageFailure(e)) e = new StorageUnavailableException(StorageFailures.Describe(e), e);
            }
            Undo(ctx);
            foreach (var item in group) item.Reset();
            failure = e;
            return false;
        }
        foreach (var after in ctx.Committed) after();
        foreach (var item in group) item.Complete();
        failure = null;
        return true;
    }

    /// <summary>
    /// A context's undo actions, newest first, as an undo log runs: a group that opened and then closed an inbox must end
    /// with it not open.
    /// </summary>
    private void Undo(WriteContext ctx)
    {
        for (var i = ctx.RolledBack.Count - 1; i >= 0; i--) RunUndo(ctx.RolledBack[i]);
    }

    private void RunUndo(Action undo)
    {
        if (_pendingUndo.Count > 0) { _pendingUndo.Add(undo); return; } // keep their order
        try { undo(); }
        catch (Exception e) when (StorageFailures.IsStorageFailure(e)) { _pendingUndo.Add(undo); }
    }

    /// <summary>Queued after a write ahead of the queue, so a writer waiting for the queue wakes; not a write.</summary>
    private sealed class WakeUp : WorkItem
    {
        public static readonly WakeUp Instance = new();
        public override void Run(WriteContext ctx) { }
        public override void Reset() { }
        public override void Complete() { }
        public override void Fail(Exception e) { }
    }

    private abstract class WorkItem
    {
        /// <summary>The first part of a write begun on its caller's thread (<see cref="WriteAsync(Action{WriteContext}, Action{WriteContext})"/>).</summary>
        public virtual void Begin(WriteContext ctx) { }
        public abstract void Run(WriteContext ctx);
        public abstract void Reset();
        public abstract void Complete();
        public abstract void Fail(Exception e);
    }

    private sealed class WorkItem<T>(Func<WriteContext, T> work, Action<WriteContext>? begin = null) : WorkItem
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        /// <summary>The context its first part ran in; any other (its group failed, and it is retried alone) runs it again.</summary>
        private WriteContext? _begunIn;

        public Task<T> Task => _done.Task;

        public override void Begin(WriteContext ctx)
        {
            begin?.Invoke(ctx);
            _begunIn = ctx;
        }

        public override void Run(WriteContext ctx)
        {
            if (begin is not null && !ReferenceEquals(ctx, _begunIn)) begin(ctx);
            _result = work(ctx);
        }

        public override void Reset()
        {
            _result = default;
            _begunIn = null;
        }
        public override void Complete() => _done.TrySetResult(_result!);
        public override void Fail(Exception e) => _done.TrySetException(e);
    }
}
