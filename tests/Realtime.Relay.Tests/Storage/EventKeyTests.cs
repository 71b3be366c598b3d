using LiteDB;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage.LiteDb;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// LiteDB keys an event by its inbox's number and its seq (docs/storage.md, "Event keys"). Files written with the
/// earlier "inboxId/seq" string keys are moved at start; numbers of closed inboxes are given to new ones. Real files.
/// </summary>
public sealed class EventKeyTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "event-keys-" + Guid.NewGuid().ToString("N"));
    private LiteDbInboxFile? _file;

    private string DbPath => Path.Combine(_dir, "relay.db");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await CloseAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<LiteDbInboxStore> OpenAsync()
    {
        _file = await LiteDbInboxFile.OpenAsync(DbPath);
        return _file.Inboxes;
    }

    private async Task CloseAsync()
    {
        if (_file is not null) await _file.DisposeAsync();
        _file = null;
    }

    private static RelayClient NewServer(string job) => new(ClientKind.GameServer, job, "g1");

    private static async Task<List<(long Seq, string Event)>> ReadAsync(LiteDbInboxStore store, RelayClient client, long after = 0) =>
        (await store.ReadAfterAsync(client.InboxId, after, 100)).Select(e => (e.Seq, e.Event)).ToList();

    /// <summary>A file as the relay wrote it before 2026-12-03: inbox states without numbers, events under "inboxId/seq" keys.</summary>
    private void WriteLegacyFile(params (RelayClient Client, string[] Events)[] inboxes)
    {
        using var db = new LiteDatabase(new ConnectionString { Filename = DbPath });
        foreach (var (client, events) in inboxes)
        {
            var state = new InboxState
            {
                InboxId = client.InboxId, Kind = client.Kind, ClientId = client.Id, GameId = client.GameId,
                NextSeq = events.Length + 1, SeqReservedThrough = events.Length, CreatedAt = DateTime.UtcNow,
            };
            var stateDoc = InboxBson.Of(state);
            stateDoc.Remove(nameof(InboxState.Number));
            db.GetCollection("inboxes").Insert(stateDoc);
            for (var i = 0; i < events.Length; i++)
            {
                var seq = i + 1L;
                var doc = InboxBson.Of(new StoredEvent
                {
                    InboxId = client.InboxId, Seq = seq, Channel = client.OwnChannel, Event = events[i], Data = "{}", At = DateTime.UtcNow,
                });
                doc["_id"] = client.InboxId + "/" + seq.ToString("D19");
                db.GetCollection("inbox_events").Insert(doc);
            }
        }
    }

    [Fact]
    public async Task Events_under_string_keys_are_read_in_order_after_the_start_moves_them_and_the_inbox_goes_on_at_its_next_seq()
    {
        var a = NewServer("job-a");
        var b = NewServer("job-b");
        WriteLegacyFile((a, ["a1", "a2", "a3"]), (b, ["b1"]));

        var store = await OpenAsync();
        Assert.Equal([(1L, "a1"), (2L, "a2"), (3L, "a3")], await ReadAsync(store, a));
        Assert.Equal([(1L, "b1")], await ReadAsync(store, b));
        Assert.NotEqual(store.StateOf(a.InboxId)!.Number, store.StateOf(b.InboxId)!.Number);
        Assert.False(_file!.Db.Database.CollectionExists("inbox_events"));

        await store.AppendAsync([a.InboxId], new IncomingEvent(a.OwnChannel, "a4", "{}"));
        await CloseAsync();

        var reopened = await OpenAsync();
        Assert.Equal([(2L, "a2"), (3L, "a3"), (4L, "a4")], await ReadAsync(reopened, a, after: 1));
        Assert.Equal([(1L, "b1")], await ReadAsync(reopened, b));
    }

    [Fact]
    public async Task Events_under_string_keys_stored_after_the_states_last_save_are_moved_too()
    {
        // As the relay left a file between 2026-12-02 and 2026-12-03 after a crash: the state saved when its reservation
        // was renewed (next seq 3), events 3..5 stored after that without a save.
        var client = NewServer("job-a");
        using (var db = new LiteDatabase(new ConnectionString { Filename = DbPath }))
        {
            var stateDoc = InboxBson.Of(new InboxState
            {
                InboxId = client.InboxId, Kind = client.Kind, ClientId = client.Id, GameId = client.GameId,
                NextSeq = 3, SeqReservedThrough = 1026, CreatedAt = DateTime.UtcNow,
            });
            stateDoc.Remove(nameof(InboxState.Number));
            db.GetCollection("inboxes").Insert(stateDoc);
            for (var seq = 1L; seq <= 5; seq++)
            {
                var doc = InboxBson.Of(new StoredEvent { InboxId = client.InboxId, Seq = seq, Channel = client.OwnChannel, Event = "e" + seq, Data = "{}", At = DateTime.UtcNow });
                doc["_id"] = client.InboxId + "/" + seq.ToString("D19");
                db.GetCollection("inbox_events").Insert(doc);
            }
        }

        var store = await OpenAsync();

        Assert.Equal([(1L, "e1"), (2L, "e2"), (3L, "e3"), (4L, "e4"), (5L, "e5")], await ReadAsync(store, client));
    }

    [Fact]
    public async Task A_closed_inboxs_number_is_not_given_to_another_inbox_while_the_relay_runs()
    {
        var store = await OpenAsync();
        var first = NewServer("job-1");
        await store.OpenAsync(first);
        await store.AppendAsync([first.InboxId], new IncomingEvent(first.OwnChannel, "old", "{}"));
        var number = store.StateOf(first.InboxId)!.Number;

        await store.CloseAsync(first);
        var second = NewServer("job-2");
        await store.OpenAsync(second);
        await store.OpenAsync(first); // the same client again

        Assert.DoesNotContain(number, new[] { second, first }.Select(c => store.StateOf(c.InboxId)!.Number));
        Assert.Empty(await ReadAsync(store, first));
    }

    [Fact]
    public async Task A_number_that_comes_again_after_a_restart_brings_nothing_stored_under_it_before()
    {
        var store = await OpenAsync();
        var kept = NewServer("job-kept");
        await store.OpenAsync(kept);
        var next = store.StateOf(kept.InboxId)!.Number + 1;
        await CloseAsync();

        // Events left under the number the next open takes, as a close rolled back after reaching the disk could leave them.
        using (var db = new LiteDatabase(new ConnectionString { Filename = DbPath }))
            for (var seq = 1L; seq <= 2; seq++)
                db.GetCollection("events").Insert(InboxBson.Of(new StoredEvent
                {
                    Id = (next << 32) | seq, InboxId = "server:g1:gone", Seq = seq, Channel = "c", Event = "stale", Data = "{}", At = DateTime.UtcNow,
                }));

        var reopened = await OpenAsync();
        var fresh = NewServer("job-fresh");
        await reopened.OpenAsync(fresh);
        Assert.Equal(next, reopened.StateOf(fresh.InboxId)!.Number);
        await reopened.AppendAsync([fresh.InboxId], new IncomingEvent(fresh.OwnChannel, "new", "{}"));
        Assert.Equal([(1L, "new")], await ReadAsync(reopened, fresh));
        Assert.Equal(1, _file!.Db.Database.GetCollection("events").Count(Query.EQ("InboxId", fresh.InboxId)));
        Assert.Equal(0, _file.Db.Database.GetCollection("events").Count(Query.EQ("Event", "stale")));
    }

    [Fact]
    public async Task An_inbox_opened_and_closed_in_a_group_that_fails_is_not_left_open()
    {
        var store = await OpenAsync();
        var client = NewServer("job-brief");
        var release = new ManualResetEventSlim();
        var held = new TaskCompletionSource();
        var writer = _file!.Writer;
        var gate = writer.WriteAsync(_ => { held.TrySetResult(); release.Wait(TimeSpan.FromSeconds(30)); });
        await held.Task; // the writes below run as one group, rolled back by the failing one and then run one by one
        var open = store.OpenAsync(client);
        var close = store.CloseAsync(client);
        var failing = writer.WriteAsync(_ => throw new InvalidOperationException("bad write"));
        release.Set();
        await Task.WhenAll(gate, open, close);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);

        Assert.Null(store.StateOf(client.InboxId));
        await store.OpenAsync(client); // opens for real: on disk, so it is there after a restart
        await CloseAsync();
        Assert.NotNull((await OpenAsync()).StateOf(client.InboxId));
    }

    [Fact]
    public async Task A_read_keeps_only_its_own_inboxs_events_whatever_is_stored_under_its_number()
    {
        var store = await OpenAsync();
        var client = NewServer("job-own");
        await store.OpenAsync(client);
        await store.AppendAsync([client.InboxId], new IncomingEvent(client.OwnChannel, "mine", "{}"));
        var number = store.StateOf(client.InboxId)!.Number;
        await _file!.Writer.WriteAsync(_ => _file.Db.Database.GetCollection("events").Insert(InboxBson.Of(new StoredEvent
        {
            Id = (number << 32) | 2, InboxId = "server:g1:other", Seq = 2, Channel = "c", Event = "theirs", Data = "{}", At = DateTime.UtcNow,
        })));
        await CloseAsync();

        var reopened = await OpenAsync(); // nothing in memory: the read goes to the file
        Assert.Equal([(1L, "mine")], await ReadAsync(reopened, client));
    }
}
