using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.LiteDb;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// The inbox documents the writer makes by hand are the documents LiteDB's mapper would make, so
/// files stay readable both ways; a property added to either record without the other fails here.
/// </summary>
public sealed class InboxBsonTests
{
    private static readonly DateTime At = new(2026, 12, 2, 17, 0, 0, 123, DateTimeKind.Utc);

    [Fact]
    public void An_inbox_state_is_written_as_the_mapper_writes_it()
    {
        var state = new InboxState
        {
            InboxId = "srv_1", Kind = ClientKind.GameServer, ClientId = "c1", GameId = "g1", NextSeq = 7, AckedSeq = 3,
            DroppedThrough = 2, FirstSeq = 4, SeqReservedThrough = 1030, Number = 5, Subscriptions = ["a", "b"], CreatedAt = At,
        };
        Assert.Equal(RelayDatabase.Mapper.ToDocument(state).ToString(), InboxBson.Of(state).ToString());

        var plugin = new InboxState { InboxId = "plg_1", Kind = ClientKind.Plugin, ClientId = "p1", CreatedAt = At };
        Assert.Equal(RelayDatabase.Mapper.ToDocument(plugin).ToString(), InboxBson.Of(plugin).ToString());
    }

    [Fact]
    public void A_stored_event_is_written_as_the_mapper_writes_it_without_its_in_memory_payload()
    {
        var withUser = new StoredEvent
        {
            Id = (5L << 40) | 7, InboxId = "srv_1", Seq = 7, Channel = "presence-game-g1", Event = "e",
            Data = "{\"x\":1}", UserId = "u1", At = At, Payload = new SharedPayload("{\"x\":1}"),
        };
        Assert.Equal(RelayDatabase.Mapper.ToDocument(withUser).ToString(), InboxBson.Of(withUser).ToString());

        var withoutUser = new StoredEvent { Id = (5L << 40) | 1, InboxId = "srv_1", Seq = 1, Channel = "c", Event = "e", Data = "plain", At = At };
        Assert.Equal(RelayDatabase.Mapper.ToDocument(withoutUser).ToString(), InboxBson.Of(withoutUser).ToString());
    }

    [Fact]
    public void Hand_written_documents_read_back_through_the_mapper()
    {
        var state = new InboxState { InboxId = "srv_1", Kind = ClientKind.GameServer, ClientId = "c1", GameId = "g1", NextSeq = 9, Subscriptions = ["a"], CreatedAt = At };
        var read = RelayDatabase.Mapper.ToObject<InboxState>(InboxBson.Of(state));
        Assert.Equal((state.InboxId, state.Kind, state.GameId, state.NextSeq, state.CreatedAt), (read.InboxId, read.Kind, read.GameId, read.NextSeq, read.CreatedAt.ToUniversalTime()));
        Assert.Equal(["a"], read.Subscriptions);
    }
}
