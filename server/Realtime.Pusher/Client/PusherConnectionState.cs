namespace Realtime.Pusher.Client;

public enum PusherConnectionState
{
    /// <summary>Created, not started.</summary>
    Initialized,
    /// <summary>Opening the WebSocket, waiting for <c>pusher:connection_established</c>.</summary>
    Connecting,
    Connected,
    /// <summary>Lost; waiting to try again (back-off).</summary>
    Unavailable,
    /// <summary>Refused for good (4000–4099): it will not try again.</summary>
    Failed,
    Disposed,
}

public sealed record PusherStateChange(PusherConnectionState Previous, PusherConnectionState Current, string? SocketId);

/// <summary>A connection's state for readiness checks and metrics.</summary>
public sealed record PusherConnectionSnapshot
{
    public required int Id { get; init; }
    public required PusherConnectionState State { get; init; }
    public string? SocketId { get; init; }
    public required int Channels { get; init; }
    public required int SubscribedChannels { get; init; }
    public required int FailedChannels { get; init; }
    /// <summary>WebSocket connection attempts made so far (first connect included).</summary>
    public required long ConnectAttempts { get; init; }
    /// <summary>Times the connection was established again after having been established.</summary>
    public required long Reconnects { get; init; }
    public required long DroppedEvents { get; init; }
    public PusherError? LastError { get; init; }
    public DateTimeOffset? ConnectedSince { get; init; }
}
