using Newtonsoft.Json.Linq;

namespace Realtime.Pusher.Client;

public enum PusherEventKind
{
    /// <summary>An event published on the channel (server-triggered, or a client event from another socket).</summary>
    Event,
    /// <summary>Presence: a user joined (<see cref="PusherEvent.UserId"/>, user info in <see cref="PusherEvent.Data"/>).</summary>
    MemberAdded,
    /// <summary>Presence: a user left (<see cref="PusherEvent.UserId"/>).</summary>
    MemberRemoved,
    /// <summary>Events may be missing just before this point; see <see cref="PusherEvent.GapReason"/>. Consumers should resync.</summary>
    Gap,
}

public enum GapReason
{
    /// <summary>The connection was lost and the channel has been subscribed again: anything published in between was not received.</summary>
    Reconnected,
    /// <summary>The consumer fell behind and the subscription's buffer dropped its oldest events (<see cref="PusherEvent.DroppedEvents"/>).</summary>
    BufferOverflow,
}

/// <summary>What a subscription's consumer reads, in the order the server sent it.</summary>
public sealed record PusherEvent
{
    /// <summary>The <see cref="Event"/> name of gap markers (never a real Pusher event name).</summary>
    public const string GapEventName = "realtime:gap";
    public const string MemberAddedEventName = "pusher:member_added";
    public const string MemberRemovedEventName = "pusher:member_removed";

    public required PusherEventKind Kind { get; init; }
    public required string Channel { get; init; }

    /// <summary>The event name; for members <c>pusher:member_added</c>/<c>pusher:member_removed</c> (as pusher-js names them), for gaps <see cref="GapEventName"/>.</summary>
    public required string Event { get; init; }

    /// <summary>The data as pusher-js would hand it over (JSON strings parsed; see <see cref="PusherMessage.Data"/>). For members: the user info.</summary>
    public JToken? Data { get => _data?.Value; init => _data = PusherProtocol.Known(value); }

    private readonly Lazy<JToken?>? _data;

    /// <summary>Where <see cref="Data"/> comes from: the frame's, parsed only if someone reads it.</summary>
    internal Lazy<JToken?>? DataSource { get => _data; init => _data = value; }

    /// <summary>The data exactly as received (string), for storing or forwarding unchanged.</summary>
    public string? RawData { get; init; }

    /// <summary>The sender's user id (client events on presence channels), or the member's id for member events.</summary>
    public string? UserId { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>For <see cref="PusherEventKind.Gap"/> only.</summary>
    public GapReason? GapReason { get; init; }

    /// <summary>For <see cref="Realtime.Pusher.Client.GapReason.BufferOverflow"/> gaps: how many events were dropped.</summary>
    public long DroppedEvents { get; init; }
}

/// <summary>A presence channel member: who this connection is on a presence channel (self-signed authorization).</summary>
public sealed record PresenceMember(string UserId, object? UserInfo = null);
