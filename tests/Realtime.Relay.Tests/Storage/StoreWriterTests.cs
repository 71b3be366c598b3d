using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Pusher;
using Realtime.Relay.Configuration;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Tests.Storage;

public sealed class StoreWriterTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "store-writer-" + Guid.NewGuid().ToString("N"));
    private RelayDatabase _db = null!;
    private StoreWriter _writer = null!;

    public sealed class Doc
    {
        public int Id { get; set; }
        public string Text { get; set; } = "";
    }

    public async Task InitializeAsync()
    {
        var settings = new RelaySettings
        {
            DatabasePath = Path.Combine(_dir, "relay.db"),
        };
        _db = new RelayDatabase(settings, NullLogger<RelayDatabase>.Instance);
        _writer = new StoreWriter(_db, NullLogger<StoreWriter>.Instance);
        await _writer.StartAsync(default);
    }

    /// <summary>
    /// A two-part write, tried until one finds the writer between groups (it leaves a group a moment after its writes
    /// complete) and begins on this thread; <paramref name="begin"/> gets the try's number.
    /// </summary>
    private async Task<Task> BeginOnThisThreadAsync(Func<int, Action<WriteContext>> begin, Action<WriteContext> work)
    {
        for (var i = 0; i < 50; i++)
        {
            var before = _writer.WritesBegunByCaller;
            var write = _writer.WriteAsync(begin(i), work);
            if (_writer.WritesBegunByCaller > before) return write;
            await write;
        }
        throw new Xunit.Sdk.XunitException("no write began on its caller's thread in 50 tries");
    }

    [Fact]
    public async Task A_write_begun_on_its_callers_thread_finishes_in_the_next_group_with_the_same_context()
    {
        var docs = _db.Collection<Doc>("docs");
        List<int> seenInGroup = [];
        var begins = new int[50];
        var begun = -1;
        var write = await BeginOnThisThreadAsync(
            i => ctx =>
            {
                begins[i]++;
                if (Thread.CurrentThread.Name != "store writer") begun = i;
                ctx.PerGroup<List<int>>("begun").Add(i);
            },
            ctx =>
            {
                seenInGroup = ctx.PerGroup<List<int>>("begun").ToList();
                docs.Insert(new Doc { Id = 1, Text = "begun" });
            });
        await write;
        Assert.Equal([begun], seenInGroup);
        Assert.Equal(1, begins[begun]); // not run again in the group: the group had its context
        Assert.Equal("begun", docs.FindById(1).Text);
    }

    [Fact]
    public async Task When_the_group_of_a_begun_write_fails_its_first_part_is_undone_and_runs_again_for_the_retry()
    {
        var docs = _db.Collection<Doc>("docs");
        var begins = new int[50];
        var undone = new int[50];
        Task? failing = null;
        var begun = -1;
        var write = await BeginOnThisThreadAsync(
            i => ctx =>
            {
                begins[i]++;
                ctx.OnRolledBack(() => undone[i]++);
                if (Thread.CurrentThread.Name == "store writer") return; // in a group: not the try that begins on this thread
                begun = i;
                // Queued while the write begins (as another caller may): the writer takes both into the group the context
                // belongs to, the begun write first, and that group fails.
                failing = _writer.WriteAsync(_ => throw new InvalidOperationException("a bad write"));
            },
            _ => docs.Insert(new Doc { Id = 2, Text = "kept" }));
        await write;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing!);
        Assert.Equal(1, undone[begun]);
        Assert.Equal(2, begins[begun]); // the retry alone ran the first part again, in its own context
        Assert.Equal("kept", docs.FindById(2).Text);
    }

    [Fact]
    public async Task Many_writes_queued_together_are_all_committed()
    {
        var docs = _db.Collection<Doc>("docs");
        await Task.WhenAll(Enumerable.Range(1, 500).Select(i => _writer.WriteAsync(_ => { docs.Insert(new Doc { Id = i, Text = "t" + i }); })));
        Assert.Equal(500, docs.Count());
    }

    [Fact]
    public async Task One_failing_write_is_rolled_back_without_losing_its_neighbours()
    {
        var docs = _db.Collection<Doc>("docs");
        var undone = 0;
        var writes = new List<Task>();
        for (var i = 1; i <= 20; i++)
        {
            var id = i;
            writes.Add(_writer.WriteAsync(ctx =>
            {
                docs.Insert(new Doc { Id = id });
                if (id == 7)
                {
                    ctx.OnRolledBack(() => Interlocked.Increment(ref undone));
                    throw new InvalidOperationException("bad write");
                }
            }));
        }
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => writes[6]);
        Assert.Equal("bad write", failed.Message);
        await Task.WhenAll(writes.Where((_, i) => i != 6));
        Assert.Equal(19, docs.Count());
        Assert.Null(docs.FindById(7));
        Assert.True(undone >= 1);
    }

    [Fact]
    public async Task A_rolled_back_group_runs_its_undo_actions_newest_first()
    {
        var release = new ManualResetEventSlim();
        var held = new TaskCompletionSource();
        var gate = _writer.WriteAsync(_ => { held.TrySetResult(); release.Wait(TimeSpan.FromSeconds(30)); });
        await held.Task; // the writer is busy: the three writes below queue up and run as one group
        var undone = new List<string>();
        var first = _writer.WriteAsync(ctx => ctx.OnRolledBack(() => undone.Add("first")));
        var second = _writer.WriteAsync(ctx => ctx.OnRolledBack(() => undone.Add("second")));
        var failing = _writer.WriteAsync(_ => throw new InvalidOperationException("bad write"));
        release.Set();
        await gate;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await Task.WhenAll(first, second);
        Assert.Equal(["second", "first"], undone.Take(2));
    }

    [Fact]
    public async Task Committed_callbacks_run_after_the_data_is_visible()
    {
        var docs = _db.Collection<Doc>("docs");
        var seen = new TaskCompletionSource<int>();
        await _writer.WriteAsync(ctx =>
        {
            docs.Insert(new Doc { Id = 1 });
            ctx.OnCommitted(() => seen.SetResult(docs.Count()));
        });
        Assert.Equal(1, await seen.Task);
    }

    public async Task DisposeAsync()
    {
        await _writer.StopAsync(default);
        _db.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
