using Realtime.Relay.Inbox;
using Realtime.Relay.Publishing;

namespace Realtime.Relay.PusherConnection;

/// <summary>
/// With PUSHER_ENABLED=false the relay hears nothing from Pusher (nothing follows the router's
/// channels); inboxes still work for relay events.
/// </summary>
public sealed class DisabledPusherFeed : IRelaySocketIds
{
    public string? SocketIdFor(string channel) => null;
}
