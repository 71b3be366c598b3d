using Realtime.Relay.Clients;

namespace Realtime.Relay.Inbox;

/// <summary>
/// How pairing and game sessions open and close a client's inbox. Opening is idempotent;
/// closing tells any waiting long-poll or stream <c>relay:revoked</c>, then drops the inbox,
/// its events and its subscriptions.
/// </summary>
public interface IInboxLifecycle
{
    Task OpenAsync(RelayClient client, CancellationToken cancellationToken);
    Task CloseAsync(RelayClient client, string reason, CancellationToken cancellationToken);
}

/// <summary>
/// Told when a client's inbox is closed (revoked, session ended), so features that hold
/// state for a client — e.g. its players' presence — can let go at once.
/// </summary>
public interface IClientClosedHandler
{
    Task OnClientClosedAsync(RelayClient client);
}
