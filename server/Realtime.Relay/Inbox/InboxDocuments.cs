using Realtime.Relay.Clients;

namespace Realtime.Relay.Inbox;

/// <summary>
/// One client's inbox: its sequence counter, what it has acknowledged, what retention
/// dropped unacknowledged, and the extra channels it listens to. Only the writer changes it.
/// </summary>
public sealed class InboxState
{
    public string InboxId { get; set; } = "";
    public ClientKind Kind { get; set; }
    public string ClientId { get; set; } = "";
    public string? GameId { get; set; }
    /// <summary>The seq the next event gets (the first is 1).</summary>
    public long NextSeq { get; set; } = 1;
    /// <summary>
    /// Everything up to here is acknowledged (and deleted). LiteDB saves it with the state's next save, not with each
    /// acknowledgement: the value on disk may lag (docs/storage.md, "Acknowledgements").
    /// </summary>
    public long AckedSeq { get; set; }
    /// <summary>Highest seq that retention dropped before it was acknowledged (0: none).</summary>
    public long DroppedThrough { get; set; }
    /// <summary>Lowest seq still stored (retention and acks move it; after an acknowledgement LiteDB's value on disk may lag, as <see cref="AckedSeq"/>'s).</summary>
    public long FirstSeq { get; set; } = 1;
    /// <summary>
    /// Seqs up to here may have been handed to a reader before their event was stored (LiteDB,
    /// docs/storage.md "Early hand-out"); after a crash the inbox goes on past it, so no seq is reused.
    /// </summary>
    public long SeqReservedThrough { get; set; }
    /// <summary>
    /// LiteDB only: the inbox's number in its events' keys (<c>number &lt;&lt; 32 | seq</c>, docs/storage.md "Event keys");
    /// 0 in files written before numbers existed, until the store numbers them at start. Unused by Redis.
    /// </summary>
    public long Number { get; set; }
    /// <summary>Channels heard besides the client's own.</summary>
    public List<string> Subscriptions { get; set; } = [];
    public DateTime CreatedAt { get; set; }

    public RelayClient ToClient() => new(Kind, ClientId, GameId);
    public long LastSeq => NextSeq - 1;
}

/// <summary>One stored event of an inbox.</summary>
public sealed class StoredEvent
{
    /// <summary>LiteDB's key of the copy (its inbox's number and its seq, see <see cref="InboxState.Number"/>); 0 elsewhere.</summary>
    public long Id { get; set; }
    public string InboxId { get; set; } = "";
    public long Seq { get; set; }
    public string Channel { get; set; } = "";
    public string Event { get; set; } = "";
    /// <summary>The Pusher payload as received (a JSON text or a plain string).</summary>
    public string Data { get; set; } = "";
    public string? UserId { get; set; }
    public DateTime At { get; set; }
    /// <summary>
    /// In memory only (not a public property, so no engine stores it): the payload as clients receive
    /// it, parsed once for every inbox that got the same event; null when read back from the file.
    /// </summary>
    internal SharedPayload? Payload { get; init; }

    /// <summary>In memory only: a read for a poll's answer or a stream returned it (LiteDB may then postpone its write).</summary>
    internal volatile bool Fetched;
}

/// <summary>
/// An event's <see cref="StoredEvent.Data"/> parsed once, and its envelope serialized once, however
/// many inboxes and polls answer with it. Shared only by the copies of one append, which have the same
/// channel, name, data, sender and time; only their seqs differ.
/// </summary>
internal sealed class SharedPayload(string data)
{
    private readonly Lazy<Newtonsoft.Json.Linq.JToken> _parsed = new(() => InboxEnvelope.ParseData(data));
    private byte[]? _jsonAfterSeq;

    /// <summary>Never changed once parsed: answers serialize it, they do not take it into their own documents.</summary>
    public Newtonsoft.Json.Linq.JToken Parsed() => _parsed.Value;

    /// <summary><see cref="InboxEnvelope.JsonAfterSeq"/> of any of the copies (two threads may both make it: the same bytes).</summary>
    public byte[] JsonAfterSeq(StoredEvent copy) => _jsonAfterSeq ??= InboxEnvelope.JsonAfterSeq(copy);
}

/// <summary>An event on its way into inboxes: from Pusher, or added by the relay itself.</summary>
public sealed record IncomingEvent(string Channel, string Event, string Data, string? UserId = null)
{
    /// <summary>
    /// In a cluster, the epoch of the channel lease under which this node heard the event (docs/cluster.md,
    /// "Fencing"): the Redis store refuses it once another node has taken the channel since. Null: not fenced
    /// (one node, and the relay's own notices such as <c>relay:gap</c>).
    /// </summary>
    public long? LeaseEpoch { get; init; }

    /// <summary>
    /// When this node's Pusher connection received it (null: the relay's own notices). In a cluster a node that handed a
    /// channel over still stores what it heard before letting go (docs/cluster.md, "Hand-over without loss").
    /// </summary>
    public DateTimeOffset? HeardAt { get; init; }
}
