using Realtime.Relay.Clients;

namespace Realtime.Relay.Inbox;

/// <summary>
/// What follows a client's inbox being opened or closed in storage. Sessions and plugins open
/// and close their inboxes inside their own atomic storage operations (docs/storage.md); this
/// then routes the inbox's channels, or drops its routes and tells the closed handlers.
/// </summary>
public interface IInboxLifecycle
{
    /// <summary>Storage opened the client's inbox: route its channels.</summary>
    void Opened(RelayClient client);

    /// <summary>Storage closed the client's inbox (<paramref name="reason"/>): drop its routes, tell the closed handlers.</summary>
    Task ClosedAsync(RelayClient client, string reason);
}

/// <summary>
/// Told when a client's inbox is closed (revoked, session ended), so features that hold
/// state for a client — e.g. its players' presence — can let go at once.
/// </summary>
public interface IClientClosedHandler
{
    Task OnClientClosedAsync(RelayClient client);
}
