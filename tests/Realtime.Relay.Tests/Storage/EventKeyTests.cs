using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Relay.Clients;
using Realtime.Relay.Configuration;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
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
    private RelayDatabase? _db;
    private StoreWriter? _writer;

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
        _db = new RelayDatabase(new RelaySettings { DatabasePath = DbPath }, NullLogger<RelayDatabase>.Instance);
        _writer = new StoreWriter(_db, NullLogger<StoreWriter>.Instance);
        await _writer.StartAsync(default);
        return new LiteDbInboxStore(_db, _writer, new InboxSignals(), new InboxOptions(), new FakeTime());
    }

    private async Task CloseAsync()
    {
        if (_writer is not null) await _writer.StopAsync(default);
        _db?.Dispose();
        (_writer, _db) = (null, null);
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
        Assert.False(_db!.Database.CollectionExists("inbox_events"));

        await store.AppendAsync([a.InboxId], new IncomingEvent(a.OwnChannel, "a4", "{}"));
        await CloseAsync();

        var reopened = await OpenAsync();
        Assert.Equal([(2L, "a2"), (3L, "a3"), (4L, "a4")], await ReadAsync(reopened, a, after: 1));
        Assert.Equal([(1L, "b1")], await ReadAsync(reopened, b));
    }

    [Fact]
    public async Task A_closed_inboxs_number_goes_to_the_next_inbox_opened_without_any_of_its_events()
    {
        var store = await OpenAsync();
        var first = NewServer("job-1");
        var second = NewServer("job-2");
        await store.OpenAsync(first);
        await store.OpenAsync(second);
        await store.AppendAsync([first.InboxId], new IncomingEvent(first.OwnChannel, "old", "{}"));
        var number = store.StateOf(first.InboxId)!.Number;

        await store.CloseAsync(first);
        var third = NewServer("job-3");
        await store.OpenAsync(third);

        Assert.Equal(number, store.StateOf(third.InboxId)!.Number);
        Assert.Empty(await ReadAsync(store, third));
        await store.AppendAsync([third.InboxId], new IncomingEvent(third.OwnChannel, "new", "{}"));
        await CloseAsync();

        var reopened = await OpenAsync(); // from the file: nothing of the closed inbox under the reused number
        Assert.Equal([(1L, "new")], await ReadAsync(reopened, third));
        var fourth = NewServer("job-4");
        await reopened.OpenAsync(fourth);
        Assert.Equal(3, new[] { second, third, fourth }.Select(c => reopened.StateOf(c.InboxId)!.Number).Distinct().Count());
    }
}
