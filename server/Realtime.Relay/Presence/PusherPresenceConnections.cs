using Newtonsoft.Json.Linq;
using Realtime.Pusher;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Client;
using PusherSocket = Realtime.Pusher.Client.PusherConnection;

namespace Realtime.Relay.Presence;

/// <summary>Presence seats over the relay's Pusher library: one <see cref="PusherSocket"/> per player.</summary>
public sealed class PusherPresenceConnections(PusherOptions pusher, ILoggerFactory logs) : IPresenceConnectionFactory
{
    private readonly ILogger _log = logs.CreateLogger("Realtime.Relay.Presence.PlayerConnection");

    public IPresenceConnection Open(string channel, string pusherUserId, JObject userInfo, Action<string> refused)
    {
        var connection = new PusherSocket(pusher, new PusherClientOptions
        {
            ClientName = "realtime-bridge-presence",
            // soketi/Pusher with user authentication close un-signed-in sockets (4009 after 30 s).
            SignInAs = new PusherUser { Id = pusherUserId, UserInfo = userInfo },
            // Nobody reads this connection's events (it is here to be a member): keep the buffer minimal.
            SubscriptionBufferCapacity = 1,
        }, _log);
        connection.ErrorReported += (_, error) =>
        {
            if (error.Kind == PusherErrorKind.SubscriptionFailed) refused(error.Message);
            else _log.LogDebug("Presence: connection of {User}: {Error}", pusherUserId, error.ToString());
        };
        try
        {
            var subscription = connection.Subscribe(channel, new PresenceMember(pusherUserId, userInfo));
            return new Seat(connection, subscription);
        }
        catch (ArgumentException) // PusherValidationException too
        {
            _ = connection.DisposeAsync().AsTask();
            throw;
        }
    }

    private sealed class Seat(PusherSocket connection, PusherSubscription subscription) : IPresenceConnection
    {
        public PresenceSeatState State => subscription.State switch
        {
            SubscriptionState.Subscribed => PresenceSeatState.Member,
            SubscriptionState.Failed => PresenceSeatState.Refused,
            SubscriptionState.Unsubscribed => PresenceSeatState.Left,
            _ => PresenceSeatState.Joining,
        };

        public string? Error => subscription.Error?.Message;

        public Task UnsubscribeAsync(CancellationToken cancellationToken) => subscription.UnsubscribeAsync(cancellationToken);

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
