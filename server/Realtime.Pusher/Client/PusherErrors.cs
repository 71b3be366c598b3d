namespace Realtime.Pusher.Client;

public enum PusherErrorKind
{
    /// <summary>The server sent <c>pusher:error</c> (e.g. 4301 client event refused, 4001 unknown app key).</summary>
    ServerError,
    /// <summary>The connection closed with a 4000–4099 code (or such a <c>pusher:error</c>): it will not reconnect.</summary>
    ConnectionRefused,
    /// <summary>The WebSocket could not be opened, or was lost (network, server gone, no pong).</summary>
    ConnectionLost,
    /// <summary>A channel could not be subscribed (<c>pusher:subscription_error</c>, or authorization failed here).</summary>
    SubscriptionFailed,
}

/// <summary>Something that went wrong, as reported to the owner.</summary>
public sealed record PusherError
{
    public required PusherErrorKind Kind { get; init; }
    public required string Message { get; init; }
    /// <summary>Pusher error or close code when there is one (4001, 4100, 4301…); HTTP-like status for subscription errors.</summary>
    public int? Code { get; init; }
    public string? Channel { get; init; }
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    public override string ToString() => Code is null ? $"{Kind}: {Message}" : $"{Kind} ({Code}): {Message}";
}

/// <summary>The connection was refused for good (close codes 4000–4099, e.g. 4001 wrong app key).</summary>
public sealed class PusherConnectionException(PusherError error)
    : Exception("Pusher refused the connection: " + error)
{
    public PusherError Error { get; } = error;
}

/// <summary>A channel subscription was refused or could not be authorized.</summary>
public sealed class PusherSubscriptionException(PusherError error)
    : Exception($"Subscribing to '{error.Channel}' failed: {error.Message}" + (error.Code is null ? "" : $" ({error.Code})"))
{
    public PusherError Error { get; } = error;
}

/// <summary>A client event could not be sent (not subscribed, connection down, wrong channel type).</summary>
public sealed class PusherClientEventException(string message) : InvalidOperationException(message);
