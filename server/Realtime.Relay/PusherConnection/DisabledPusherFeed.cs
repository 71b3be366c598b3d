using Realtime.Relay.Inbox;
using Realtime.Relay.Publishing;

namespace Realtime.Relay.PusherConnection;

/// <summary>With PUSHER_ENABLED=false the relay hears nothing from Pusher; inboxes still work for relay events.</summary>
public sealed class DisabledPusherFeed : IPusherFeed, IRelaySocketIds
{
    public void Subscribe(string channel) { }
    public void Unsubscribe(string channel) { }
    public string? SocketIdFor(string channel) => null;
}
