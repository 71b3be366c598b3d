using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Presence;

/// <summary>Where one player's presence subscription stands.</summary>
public enum PresenceSeatState { Joining, Member, Refused, Left }

/// <summary>
/// One player's seat in a presence channel: a Pusher connection of its own, signed in as the player
/// and subscribed to the channel as a member. Disposing closes the connection.
/// </summary>
public interface IPresenceConnection : IAsyncDisposable
{
    PresenceSeatState State { get; }

    /// <summary>Why Pusher refused the subscription, while <see cref="State"/> is <see cref="PresenceSeatState.Refused"/>.</summary>
    string? Error { get; }

    /// <summary>Leaves the channel (the others get <c>pusher:member_removed</c>); the connection stays open until disposed.</summary>
    Task UnsubscribeAsync(CancellationToken cancellationToken);
}

/// <summary>Opens the connections that make Roblox players presence members (<see cref="PresenceRoster"/>).</summary>
public interface IPresenceConnectionFactory
{
    /// <summary>
    /// Opens a connection signed in as <paramref name="pusherUserId"/> with <paramref name="userInfo"/> and subscribes it to
    /// <paramref name="channel"/> as that member, without waiting for Pusher. <paramref name="refused"/> is called with Pusher's
    /// reason when it refuses the subscription (e.g. the channel's member limit), never on the caller's thread.
    /// Throws <see cref="ArgumentException"/> for a member Pusher would never accept (nothing is left open then).
    /// </summary>
    IPresenceConnection Open(string channel, string pusherUserId, JObject userInfo, Action<string> refused);
}
