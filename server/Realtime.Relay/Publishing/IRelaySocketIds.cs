namespace Realtime.Relay.Publishing;

/// <summary>
/// The socket id of the relay's own Pusher connection that is subscribed to a channel, so a
/// publish can exclude it (Pusher's <c>socket_id</c>) and the relay does not hear its own event.
/// </summary>
public interface IRelaySocketIds
{
    string? SocketIdFor(string channel);
}
