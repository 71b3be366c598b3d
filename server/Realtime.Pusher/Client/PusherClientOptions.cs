using Realtime.Pusher.Auth;

namespace Realtime.Pusher.Client;

/// <summary>
/// Authorizes a private or presence channel for one socket. Return what a Pusher auth endpoint
/// returns: <c>auth</c>, plus <c>channel_data</c> for presence channels.
/// </summary>
public delegate Task<ChannelAuthorization> PusherChannelAuthorizer(string socketId, string channel, CancellationToken cancellationToken);

/// <summary>How a <see cref="PusherConnection"/> behaves. Defaults suit Pusher and soketi.</summary>
public sealed record PusherClientOptions
{
    /// <summary>Sent as <c>client=</c> in the connection URL.</summary>
    public string ClientName { get; init; } = "realtime-dotnet";

    /// <summary>Sent as <c>version=</c> in the connection URL.</summary>
    public string ClientVersion { get; init; } = "1.0.0";

    /// <summary>
    /// Ping after this long without hearing from the server. The server's
    /// <c>activity_timeout</c> is used when it is shorter (pusher-js does the same; Pusher says 120 s, soketi 30 s).
    /// </summary>
    public TimeSpan ActivityTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>After a <c>pusher:ping</c>, how long to wait for anything from the server before the connection is considered dead.</summary>
    public TimeSpan PongTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Opening the WebSocket plus receiving <c>pusher:connection_established</c> must take no longer than this.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Back-off after network loss or an abnormal close (and close codes other than 4000–4299).</summary>
    public ReconnectBackoff NetworkBackoff { get; init; } = new(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2));

    /// <summary>Back-off for close codes 4100–4199 (the server is over capacity: be gentler).</summary>
    public ReconnectBackoff OverCapacityBackoff { get; init; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    /// <summary>
    /// Authorizes private and presence channels. When null, the connection signs them itself
    /// with the app secret from <see cref="PusherOptions"/> (presence channels then need a
    /// <see cref="PresenceMember"/> when subscribing).
    /// </summary>
    public PusherChannelAuthorizer? Authorizer { get; init; }

    /// <summary>
    /// When set, the connection signs in (<c>pusher:signin</c>, self-signed with the app secret)
    /// after every connect. Needed on servers that require user authentication (soketi with
    /// user authentication enabled closes unsigned connections with 4009 after 30 s).
    /// </summary>
    public PusherUser? SignInAs { get; init; }

    /// <summary>Client events (<c>client-*</c>) sent per second per connection, at most (Pusher's limit is 10).</summary>
    public int ClientEventsPerSecond { get; init; } = 10;

    /// <summary>
    /// Events buffered per subscription for a consumer that is not keeping up. When full, the
    /// oldest event is dropped and the consumer gets a <see cref="PusherEventKind.Gap"/> marker
    /// (reason <see cref="GapReason.BufferOverflow"/>) in its place. Memory bound per subscription:
    /// about this many events × (10 KB data + overhead).
    /// </summary>
    public int SubscriptionBufferCapacity { get; init; } = 1000;

    /// <summary>Largest WebSocket message accepted from the server (bigger ones close the connection).</summary>
    public int MaxMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>For tests: the clock used for pacing and timers.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ClientName)) throw new ArgumentException("ClientName must be set");
        if (ActivityTimeout <= TimeSpan.Zero) throw new ArgumentException("ActivityTimeout must be positive");
        if (PongTimeout <= TimeSpan.Zero) throw new ArgumentException("PongTimeout must be positive");
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentException("ConnectTimeout must be positive");
        if (ClientEventsPerSecond < 1) throw new ArgumentException("ClientEventsPerSecond must be at least 1");
        if (SubscriptionBufferCapacity < 1) throw new ArgumentException("SubscriptionBufferCapacity must be at least 1");
        if (MaxMessageBytes < 1024) throw new ArgumentException("MaxMessageBytes must be at least 1024");
        ArgumentNullException.ThrowIfNull(NetworkBackoff);
        ArgumentNullException.ThrowIfNull(OverCapacityBackoff);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
