using System.Collections;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage.LiteDb;
using Realtime.Relay.Tests.Support;
using static Realtime.Relay.Tests.Support.StoreSamples;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// An append whose first part (seqs, hand-out) ran on its caller's thread while the writer was between groups
/// (docs/storage.md, "Early hand-out"), against the writes other callers queue in that moment and the writer's stop.
/// A hook in the inbox list runs on the caller's thread in the middle of the first part, which makes the moment
/// happen every time.
/// </summary>
public sealed class AppendBegunOnCallersThreadTests : IAsyncLifetime
{
    private readonly LiteDbInboxFiles _files = new("append-begun");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _files.DisposeAsync();

    private Task<LiteDbInboxFile> OpenFileAsync(TimeSpan? postpone = null) => _files.OpenAsync(postponeFetchedWrites: postpone);

    /// <summary>Inbox ids whose enumeration runs <paramref name="between"/> once the first id's copy got its seq (inside HandOut).</summary>
    private sealed class IdsWithHook(string[] ids, Action between) : IReadOnlyCollection<string>
    {
        public int Count => ids.Length;
        public IEnumerator<string> GetEnumerator()
        {
            for (var i = 0; i < ids.Length; i++)
            {
                if (i == 1) between();
                yield return ids[i];
            }
        }
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static bool OnWriter => Thread.CurrentThread.Name == "store writer";

    /// <summary>
    /// A new inbox whose seq 1 was begun on this thread, handed out early and fetched (its write postponed by the file's
    /// hour), and whose tail a rolled-back group then forgot, so its next append waits for its commit (not early). Null
    /// when this try did not get there: the append did not begin on this thread, or seq 1 was written with its group.
    /// </summary>
    private static async Task<RelayClient?> FetchedThenTailForgottenAsync(LiteDbInboxFile file)
    {
        var client = NewPlugin();
        await file.Inboxes.OpenAsync(client);
        var id = client.InboxId;
        // 1. seq 1 handed out early and fetched by a reader: its write is postponed.
        var before = file.Writer.WritesBegunByCaller;
        var first = file.Inboxes.AppendAsync(new IdsWithHook([id, "none"], () => { if (!OnWriter) _ = file.Inboxes.ReadAfterAsync(id, 0, 10).Result; }), Event(client, "e1"));
        if (file.Writer.WritesBegunByCaller == before) return null;
        await file.Writer.WriteAsync(_ => { }); // e1's group committed (e1 postponed), apart from the failing one below
        // 2. a rolled-back group forgets the inbox's tail: the next append waits for its commit (not early).
        await Assert.ThrowsAsync<InvalidOperationException>(() => file.Writer.WriteAsync(ctx =>
        {
            file.Inboxes.Append(ctx, [id], Event(client, "rolled back"));
            throw new InvalidOperationException("a bad write");
        }));
        return first.IsCompleted ? null : client; // completed: e1 was written with its group, not the case under test
    }

    [Fact]
    public async Task A_write_queued_by_another_caller_while_an_append_begins_does_not_make_a_seq_come_again_after_a_rollback()
    {
        var file = await OpenFileAsync();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var client = NewPlugin();
            await file.Inboxes.OpenAsync(client);
            var id = client.InboxId;
            Task? other = null;
            // Another caller (here: an outbox delivery's internal append) queues a write while the append begins: it holds
            // a later seq, and must run after the append in their group.
            var ids = new IdsWithHook([id, "no-such-inbox"], () =>
            {
                if (!OnWriter && other is null) other = file.Writer.WriteAsync(ctx => file.Inboxes.Append(ctx, [id], Event(client, "other")));
            });
            var before = file.Writer.WritesBegunByCaller;
            var append = file.Inboxes.AppendAsync(ids, Event(client, "begun"));
            if (file.Writer.WritesBegunByCaller == before) { await append; continue; }
            await append;
            await other!;
            Assert.Equal([(1L, "begun"), (2L, "other")], (await file.Inboxes.ReadAfterAsync(id, 0, 10)).Select(e => (e.Seq, e.Event)).OrderBy(x => x.Item1));

            // Any later group touching the inbox that rolls back.
            await Assert.ThrowsAsync<InvalidOperationException>(() => file.Writer.WriteAsync(ctx =>
            {
                file.Inboxes.Append(ctx, [id], Event(client, "rolled back"));
                throw new InvalidOperationException("a bad write");
            }));

            await file.Inboxes.AppendAsync([id], Event(client, "after")); // defect: gets seq 2 again -> duplicate key
            Assert.Equal([(1L, "begun"), (2L, "other"), (3L, "after")], (await file.Inboxes.ReadAfterAsync(id, 0, 10)).Select(e => (e.Seq, e.Event)));
            return;
        }
        Assert.Fail("no append began on its caller's thread in 50 tries");
    }

    [Fact]
    public async Task An_append_after_the_writer_stopped_hands_nothing_out()
    {
        var file = await OpenFileAsync();
        var client = NewPlugin();
        await file.Inboxes.OpenAsync(client);
        var id = client.InboxId;
        await file.Writer.StopAsync(default); // the clean stop gave the reservation back: the next start goes on at seq 1

        var seenByReader = new List<(long, string)>();
        var ids = new IdsWithHook([id, "no-such-inbox"], () =>
            seenByReader.AddRange(file.Inboxes.ReadAfterAsync(id, 0, 10).Result.Select(e => (e.Seq, e.Event))));
        var signal = file.Signals.Current(id);
        await Assert.ThrowsAsync<InvalidOperationException>(() => file.Inboxes.AppendAsync(ids, Event(client, "after the stop")));
        var pulsed = signal.IsCompleted;

        await _files.CloseAsync(file);
        var reopened = await OpenFileAsync();
        await reopened.Inboxes.AppendAsync([id], Event(client, "next run"));
        var stored = (await reopened.Inboxes.ReadAfterAsync(id, 0, 10)).Select(e => (e.Seq, e.Event)).ToList();

        // A reader was handed seq 1 of an event never stored, and the next run gives seq 1 to another event.
        Assert.Equal(new List<(long, string)>(), seenByReader);
        Assert.False(pulsed);
        Assert.Equal([(1L, "next run")], stored);
    }

    [Fact]
    public async Task A_reader_at_the_begun_appends_seq_sees_the_seq_committed_after_it()
    {
        var file = await OpenFileAsync(TimeSpan.FromHours(1));
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await FetchedThenTailForgottenAsync(file) is not { } client) continue;
            var id = client.InboxId;
            // 3. seq 2 begun on this thread; another caller's write (seq 3) is queued meanwhile.
            Task? other = null;
            var before = file.Writer.WritesBegunByCaller;
            var second = file.Inboxes.AppendAsync(new IdsWithHook([id, "none"], () =>
            {
                if (!OnWriter && other is null) other = file.Writer.WriteAsync(ctx => file.Inboxes.Append(ctx, [id], Event(client, "e3")));
            }), Event(client, "e2"));
            if (file.Writer.WritesBegunByCaller == before) { await second; continue; }
            await second;
            await other!;
            Assert.Equal([(2L, "e2"), (3L, "e3")], (await file.Inboxes.ReadAfterAsync(id, 1, 10)).Select(e => (e.Seq, e.Event)));
            // A reader that has seq 2 must find seq 3 (committed, in the file).
            Assert.Equal([(3L, "e3")], (await file.Inboxes.ReadAfterAsync(id, 2, 10)).Select(e => (e.Seq, e.Event)));
            return;
        }
        Assert.Fail("no append began on its caller's thread in 50 tries");
    }

    [Fact]
    public async Task An_acknowledgement_in_the_begun_group_of_a_held_back_seq_leaves_no_event_below_FirstSeq_in_the_file()
    {
        var file = await OpenFileAsync(TimeSpan.FromHours(1));
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await FetchedThenTailForgottenAsync(file) is not { } client) continue;
            var id = client.InboxId;
            // 3. seq 2 begun on this thread; meanwhile a poll with cursor 2 (a stale cursor the check lets through)
            // acknowledges it: the acknowledgement runs ahead of the queue, between the append's two parts.
            Task? ack = null;
            var before = file.Writer.WritesBegunByCaller;
            var second = file.Inboxes.AppendAsync(new IdsWithHook([id, "none"], () =>
            {
                if (OnWriter || ack is not null) return;
                var resume = InboxCursor.Resume(file.Inboxes.StateOf(id)!, 2);
                if (resume.Acknowledge is { } upTo) ack = file.Inboxes.AcknowledgeAsync(id, upTo);
            }), Event(client, "e2"));
            if (file.Writer.WritesBegunByCaller == before) { await second; continue; }
            await second;
            Assert.NotNull(ack);
            await ack!;
            Assert.Equal(3L, file.Inboxes.StateOf(id)!.FirstSeq);
            var inFile = file.Db.Database.GetCollection("events").FindAll()
                .Where(d => d["InboxId"].AsString == id).Select(d => (d["Seq"].AsInt64, d["Event"].AsString)).ToList();
            Assert.Equal([], inFile);
            Assert.Empty(await file.Inboxes.ReadAfterAsync(id, 1, 10)); // nor served again from memory
            return;
        }
        Assert.Fail("no append began on its caller's thread in 50 tries");
    }
}
