using System.Threading.Channels;

namespace Realtime.Relay.Storage;

/// <summary>What a write sees while its group's transaction is open.</summary>
public sealed class WriteContext
{
    internal readonly List<Action> Committed = [];
    internal readonly List<Action> RolledBack = [];
    internal readonly Dictionary<string, Action> BeforeCommit = [];

    /// <summary>
    /// Runs once, just before the group commits, however many writes of the group ask with
    /// the same key — e.g. saving a document that many writes changed.
    /// </summary>
    public void OnceBeforeCommit(string key, Action action) => BeforeCommit.TryAdd(key, action);

    /// <summary>Runs once the group is on disk (wake waiters, update caches others read).</summary>
    public void OnCommitted(Action action) => Committed.Add(action);

    /// <summary>Runs if the group is rolled back (restore in-memory state changed by the write).</summary>
    public void OnRolledBack(Action action) => RolledBack.Add(action);
}

/// <summary>
/// The one writer of the LiteDB file (DESIGN.md, "Storage"). Writes queue up and are
/// committed in groups, many per transaction, so throughput is not one disk flush per
/// write; each caller's task completes once its write is committed. A group runs
/// synchronously on one thread — no LiteDB transaction spans an await. If one write of a
/// group throws, the group is rolled back and the others are committed one by one, so one
/// bad write cannot lose its neighbours.
/// </summary>
public sealed class StoreWriter(RelayDatabase db, ILogger<StoreWriter> log) : BackgroundService
{
    public const int MaxGroup = 2000;

    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });

    public Task<T> WriteAsync<T>(Func<WriteContext, T> work)
    {
        var item = new WorkItem<T>(work);
        if (!_queue.Writer.TryWrite(item)) item.Fail(new InvalidOperationException("The store writer has stopped."));
        return item.Task;
    }

    public Task WriteAsync(Action<WriteContext> work) => WriteAsync<bool>(ctx => { work(ctx); return true; });

    /// <summary>Writes queued and not yet committed (for metrics).</summary>
    public int Backlog => _queue.Reader.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var group = new List<WorkItem>(MaxGroup);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (group.Count < MaxGroup && _queue.Reader.TryRead(out var item)) group.Add(item);
                CommitGroup(group);
                group.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            // What is queued at shutdown is committed, not dropped.
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var item)) group.Add(item);
            if (group.Count > 0) CommitGroup(group);
        }
    }

    private void CommitGroup(List<WorkItem> group)
    {
        if (TryCommit(group, out var failure)) return;
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
        var ctx = new WriteContext();
        db.Database.BeginTrans();
        try
        {
            foreach (var item in group) item.Run(ctx);
            foreach (var flush in ctx.BeforeCommit.Values) flush();
            db.Database.Commit();
        }
        catch (Exception e)
        {
            try { db.Database.Rollback(); } catch (Exception rollbackError) { log.LogError(rollbackError, "Rollback failed"); }
            foreach (var undo in ctx.RolledBack) undo();
            foreach (var item in group) item.Reset();
            failure = e;
            return false;
        }
        foreach (var after in ctx.Committed) after();
        foreach (var item in group) item.Complete();
        failure = null;
        return true;
    }

    private abstract class WorkItem
    {
        public abstract void Run(WriteContext ctx);
        public abstract void Reset();
        public abstract void Complete();
        public abstract void Fail(Exception e);
    }

    private sealed class WorkItem<T>(Func<WriteContext, T> work) : WorkItem
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _done.Task;
        public override void Run(WriteContext ctx) => _result = work(ctx);
        public override void Reset() => _result = default;
        public override void Complete() => _done.TrySetResult(_result!);
        public override void Fail(Exception e) => _done.TrySetException(e);
    }
}
