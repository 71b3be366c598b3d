using Realtime.Pusher;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.LiteDb;
using Realtime.Relay.Tests.Support;
using static Realtime.Relay.Tests.Support.StoreSamples;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// LiteDB hands an event to its inbox's readers while the event's group commits (docs/storage.md,
/// "Early hand-out"); a seq a reader may have seen is never given to another event — not after a
/// failed group, not after a crash. Real LiteDB files; a write that waits on a gate holds a group
/// open, so "before the commit" is a state the test waits for, not a race.
/// </summary>
public sealed class EarlyHandOutTests : IAsyncLifetime
{
    private readonly LiteDbInboxFiles _files = new("early-handout");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _files.DisposeAsync();

    private async Task<(LiteDbInboxStore Inboxes, StoreWriter Writer)> OpenAsync(string dir)
    {
        var file = await OpenFileAsync(dir);
        return (file.Inboxes, file.Writer);
    }

    private Task<LiteDbInboxFile> OpenFileAsync(string dir, TimeSpan? postponeFetchedWrites = null) => _files.OpenAsync(dir, postponeFetchedWrites);

    [Fact]
    public async Task A_reader_gets_an_event_while_its_group_commits_and_the_append_completes_once_it_is_stored()
    {
        var (inboxes, writer) = await OpenAsync(_files.Dir);
        var client = NewPlugin();
        await inboxes.OpenAsync(client);

        Task append = null!;
        using var group = await StoreGroups.RunUncommittedAsync(writer, () => [append = inboxes.AppendAsync([client.InboxId], Event(client, "early"))]);

        var read = await inboxes.ReadAfterAsync(client.InboxId, 0, 10);
        Assert.Equal([(1L, "early")], read.Select(e => (e.Seq, e.Event)));
        Assert.False(append.IsCompleted);

        await group.CommitAsync();
        Assert.Equal([(1L, "early")], (await inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => (e.Seq, e.Event)));
    }

    [Fact]
    public async Task An_event_appended_while_the_writer_waits_is_handed_out_before_the_append_returns_and_then_stored()
    {
        var file = await OpenFileAsync(_files.Dir);
        var client = NewPlugin();
        await file.Inboxes.OpenAsync(client);
        // The writer leaves a group a moment after its writes complete: try until an append finds it between groups.
        for (var i = 1; i <= 50; i++)
        {
            var begunBefore = file.Writer.WritesBegunByCaller;
            var signal = file.Signals.Current(client.InboxId);
            var append = file.Inboxes.AppendAsync([client.InboxId], Event(client, "e" + i));
            if (file.Writer.WritesBegunByCaller == begunBefore)
            {
                await append;
                continue;
            }
            Assert.True(signal.IsCompleted); // the waiting reader was woken on this thread, before the writer's group
            var read = await file.Inboxes.ReadAfterAsync(client.InboxId, i - 1, 10);
            Assert.Equal([((long)i, "e" + i)], read.Select(e => (e.Seq, e.Event)));
            await append;
            Assert.Equal(i, file.EventsInFile()); // fetched, not acknowledged: written once its postponement ran out
            return;
        }
        Assert.Fail("no append began on its caller's thread in 50 tries");
    }

    /// <summary>Long enough that a postponed write runs only at the clean stop, so the test sees the file before it.</summary>
    private static readonly TimeSpan Postponed = TimeSpan.FromHours(1);

    /// <summary>A file whose postponed writes wait <see cref="Postponed"/>, with one plugin's inbox open.</summary>
    private async Task<(LiteDbInboxFile File, RelayClient Client)> OpenPostponingAsync()
    {
        var file = await OpenFileAsync(_files.Dir, Postponed);
        var client = NewPlugin();
        await file.Inboxes.OpenAsync(client);
        return (file, client);
    }

    /// <summary>
    /// An event handed out early and fetched by a reader before its group commits, in a file whose postponed writes
    /// wait <see cref="Postponed"/>: the group has committed when this returns, the append has not completed.
    /// </summary>
    private static async Task<Task> AppendFetchedAsync(LiteDbInboxFile file, RelayClient client, string name)
    {
        Task append = null!;
        var group = await StoreGroups.RunUncommittedAsync(file.Writer, () => [append = file.Inboxes.AppendAsync([client.InboxId], Event(client, name))]);
        var read = await file.Inboxes.ReadAfterAsync(client.InboxId, 0, 100);
        Assert.Contains(name, read.Select(e => e.Event));
        group.ReleaseSecond.Set();
        await Task.WhenAll(group.Writes.Where(w => w != append));
        group.Dispose();
        return append;
    }

    [Fact]
    public async Task An_event_a_reader_fetched_early_and_acknowledged_is_never_written()
    {
        var (file, client) = await OpenPostponingAsync();

        var append = await AppendFetchedAsync(file, client, "fetched");
        Assert.Equal(0, file.EventsInFile()); // committed without it: its write waits
        Assert.False(append.IsCompleted);
        await file.Inboxes.AcknowledgeAsync(client.InboxId, 1);
        await _files.CloseAsync(file); // the clean stop runs the postponed write: acknowledged, nothing to write
        await append;

        var reopened = await OpenFileAsync(_files.Dir);
        Assert.Equal(0, reopened.EventsInFile());
        Assert.Empty(await reopened.Inboxes.ReadAfterAsync(client.InboxId, 1, 10));
    }

    [Fact]
    public async Task An_event_a_reader_fetched_early_and_did_not_acknowledge_is_written_by_a_clean_stop()
    {
        var (file, client) = await OpenPostponingAsync();

        var append = await AppendFetchedAsync(file, client, "fetched");
        Assert.Equal(0, file.EventsInFile());
        await _files.CloseAsync(file);
        await append;

        var reopened = await OpenFileAsync(_files.Dir);
        Assert.Equal(1, reopened.EventsInFile());
        Assert.Equal([(1L, "fetched")], (await reopened.Inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => (e.Seq, e.Event)));
    }

    [Fact]
    public async Task An_event_no_reader_fetched_is_written_with_its_group()
    {
        var (file, client) = await OpenPostponingAsync();

        await file.Inboxes.AppendAsync([client.InboxId], Event(client, "unread")); // completes: nothing waits an hour
        Assert.Equal(1, file.EventsInFile());
    }

    [Fact]
    public async Task A_later_event_written_with_its_group_brings_the_inboxs_postponed_ones_into_the_file_first()
    {
        // The file never has an inbox's newer event while an older one waits in memory only: a reader reading the
        // file would go on past it.
        var (file, client) = await OpenPostponingAsync();

        var first = await AppendFetchedAsync(file, client, "fetched");
        Assert.Equal(0, file.EventsInFile());
        await file.Inboxes.AppendAsync([client.InboxId], Event(client, "unread"));
        Assert.Equal(2, file.EventsInFile());
        Assert.Equal([(1L, "fetched"), (2L, "unread")],
            file.Db.Database.GetCollection("events").FindAll().Select(d => (d["Seq"].AsInt64, d["Event"].AsString)).OrderBy(e => e.Item1));
        Assert.False(first.IsCompleted); // its own write (now with nothing to do) is still an hour away
    }

    [Fact]
    public async Task A_tails_worth_of_postponed_events_then_one_more_all_reach_a_reader_from_the_start_in_order()
    {
        var (file, client) = await OpenPostponingAsync();
        for (var i = 1; i <= 32; i++) await AppendFetchedAsync(file, client, "e" + i);
        Assert.Equal(0, file.EventsInFile());

        // The 33rd may not push the first out of memory: before its commit a reader from the start still gets 1..32.
        using (var group = await StoreGroups.RunUncommittedAsync(file.Writer, () => [file.Inboxes.AppendAsync([client.InboxId], Event(client, "e33"))]))
        {
            var before = await file.Inboxes.ReadAfterAsync(client.InboxId, 0, 100);
            Assert.Equal(Enumerable.Range(1, 32).Select(i => ((long)i, "e" + i)), before.Select(e => (e.Seq, e.Event)));
            await group.CommitAsync();
        }
        var read = await file.Inboxes.ReadAfterAsync(client.InboxId, 0, 100);
        Assert.Equal(Enumerable.Range(1, 33).Select(i => ((long)i, "e" + i)), read.Select(e => (e.Seq, e.Event)));
        Assert.Equal(33, file.EventsInFile());
    }

    [Fact]
    public async Task A_postponed_event_survives_a_rolled_back_group_of_its_inbox_and_is_written()
    {
        var (file, client) = await OpenPostponingAsync();
        var append = await AppendFetchedAsync(file, client, "fetched");

        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = StoreGroups.Hold(file.Writer, entered, release);
        await entered.Task;
        var subscribe = file.Inboxes.SetSubscriptionsAsync(client.InboxId, ["private-other"]); // rolled back with its neighbour: reloads the state
        var failing = file.Writer.WriteAsync(_ => throw new InvalidOperationException("a bad neighbour"));
        release.Set();
        await held;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await subscribe;

        // The tail went with the rollback and the postponed event is in neither tail nor file: the next event may not be
        // handed out before its commit, which writes the postponed one too.
        using (var next = await StoreGroups.RunUncommittedAsync(file.Writer, () => [file.Inboxes.AppendAsync([client.InboxId], Event(client, "next"))]))
        {
            Assert.Empty(await file.Inboxes.ReadAfterAsync(client.InboxId, 0, 10));
            await next.CommitAsync();
        }
        Assert.Equal([(1L, "fetched"), (2L, "next")], (await file.Inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => (e.Seq, e.Event)));
        await _files.CloseAsync(file);
        await append;
        var reopened = await OpenFileAsync(_files.Dir);
        Assert.Equal(2, reopened.EventsInFile());
    }

    [Fact]
    public async Task After_a_crash_the_inbox_goes_on_past_every_seq_it_may_have_handed_out_and_keeps_what_was_stored()
    {
        var (inboxes, _) = await OpenAsync(_files.Dir);
        var client = NewPlugin();
        await inboxes.OpenAsync(client);
        for (var i = 1; i <= 3; i++) await inboxes.AppendAsync([client.InboxId], Event(client, "e" + i));

        var restarted = (await _files.OpenCrashCopyAsync()).Inboxes;
        await restarted.AppendAsync([client.InboxId], Event(client, "after"));

        var events = await restarted.ReadAfterAsync(client.InboxId, 0, 10);
        Assert.Equal(["e1", "e2", "e3", "after"], events.Select(e => e.Event));
        Assert.Equal([1L, 2L, 3L], events.Take(3).Select(e => e.Seq));
        Assert.True(events[3].Seq > LiteDbInboxStore.SeqReserveBlock, $"the first seq after the crash ({events[3].Seq}) lies past the reservation");
    }

    [Fact]
    public async Task After_a_crash_a_failed_group_that_reloads_an_inbox_from_disk_keeps_it_past_its_reservation()
    {
        var (inboxes, _) = await OpenAsync(_files.Dir);
        var client = NewPlugin();
        await inboxes.OpenAsync(client);
        for (var i = 1; i <= 10; i++) await inboxes.AppendAsync([client.InboxId], Event(client, "e" + i));
        await inboxes.SetSubscriptionsAsync(client.InboxId, ["private-x"]); // the state on disk: next seq 11
        for (var i = 11; i <= 20; i++) await inboxes.AppendAsync([client.InboxId], Event(client, "e" + i)); // stored, state not saved

        var restarted = await _files.OpenCrashCopyAsync();
        // Rolled back with a bad neighbour, the subscription write reloads the state from disk.
        await StoreGroups.InAFailedGroupAsync(restarted.Writer, () => restarted.Inboxes.SetSubscriptionsAsync(client.InboxId, ["private-y"]));
        await restarted.Inboxes.AppendAsync([client.InboxId], Event(client, "after"));

        Assert.Equal([LiteDbInboxStore.SeqReserveBlock + 1], (await restarted.Inboxes.ReadAfterAsync(client.InboxId, 20, 10)).Select(e => e.Seq));
    }

    [Fact]
    public async Task After_a_clean_stop_seqs_go_on_without_a_hole()
    {
        var file = await OpenFileAsync(_files.Dir);
        var client = NewPlugin();
        await file.Inboxes.OpenAsync(client);
        for (var i = 1; i <= 3; i++) await file.Inboxes.AppendAsync([client.InboxId], Event(client, "e" + i));
        await _files.CloseAsync(file); // a clean stop: the writer's last write gives the reservation back

        var (restarted, _) = await OpenAsync(_files.Dir);
        await restarted.AppendAsync([client.InboxId], Event(client, "after"));

        Assert.Equal([1L, 2L, 3L, 4L], (await restarted.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => e.Seq));
    }

    [Fact]
    public async Task An_event_handed_out_in_a_group_that_failed_keeps_its_seq_when_it_is_stored_after_all()
    {
        var (inboxes, writer) = await OpenAsync(_files.Dir);
        var client = NewPlugin();
        await inboxes.OpenAsync(client);

        using var releaseFirst = new ManualResetEventSlim();
        var firstEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = StoreGroups.Hold(writer, firstEntered, releaseFirst);
        await firstEntered.Task;
        var append = inboxes.AppendAsync([client.InboxId], Event(client, "kept"));
        var failing = writer.WriteAsync(_ => throw new InvalidOperationException("a bad neighbour"));
        releaseFirst.Set();
        await first;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await append; // rolled back with its neighbour, then committed on its own

        await inboxes.AppendAsync([client.InboxId], Event(client, "next"));
        Assert.Equal([(1L, "kept"), (2L, "next")], (await inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => (e.Seq, e.Event)));
    }

    [Fact]
    public async Task A_failed_group_that_reloads_an_inbox_from_disk_never_reuses_a_committed_seq()
    {
        var (inboxes, writer) = await OpenAsync(_files.Dir);
        var client = NewPlugin();
        await inboxes.OpenAsync(client);
        // Appends do not save the inbox's state each time (only when the reservation is renewed): on disk its next seq is
        // stale. Appended inside other writes (as session and pairing writes do), these two are not handed out early either.
        await writer.WriteAsync(ctx => inboxes.Append(ctx, [client.InboxId], Event(client, "e1")));
        await writer.WriteAsync(ctx => inboxes.Append(ctx, [client.InboxId], Event(client, "e2")));

        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = StoreGroups.Hold(writer, entered, release);
        await entered.Task;
        var subscribe = inboxes.SetSubscriptionsAsync(client.InboxId, ["private-other"]); // rolled back with its neighbour: reloads the state
        var failing = writer.WriteAsync(_ => throw new InvalidOperationException("a bad neighbour"));
        release.Set();
        await held;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await subscribe;

        await inboxes.AppendAsync([client.InboxId], Event(client, "e3"));
        Assert.Equal([(1L, "e1"), (2L, "e2"), (3L, "e3")], (await inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => (e.Seq, e.Event)));
        Assert.Equal(["private-other"], inboxes.StateOf(client.InboxId)!.Subscriptions);
    }

    [Fact]
    public async Task More_events_of_one_inbox_in_a_group_than_its_tail_holds_reach_a_reader_behind_in_order_before_the_commit()
    {
        var (inboxes, writer) = await OpenAsync(_files.Dir);
        var client = NewPlugin();
        await inboxes.OpenAsync(client);

        // Queued together, as the Pusher feed queues a busy channel's events: one group, twice what an inbox's tail holds.
        using var group = await StoreGroups.RunUncommittedAsync(writer,
            () => Enumerable.Range(1, 64).Select(n => inboxes.AppendAsync([client.InboxId], Event(client, "e" + n))).ToList());

        var read = await inboxes.ReadAfterAsync(client.InboxId, 0, 1000);
        Assert.NotEmpty(read);
        Assert.Equal(Enumerable.Range(1, read.Count).Select(n => ((long)n, "e" + n)), read.Select(e => (e.Seq, e.Event)));

        await group.CommitAsync();
        Assert.Equal(Enumerable.Range(1, 64).Select(n => (long)n), (await inboxes.ReadAfterAsync(client.InboxId, 0, 1000)).Select(e => e.Seq));
    }
}
