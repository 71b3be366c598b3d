using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Support;

/// <summary>
/// What the store tests append to: a new plugin client (its own inbox, no game) and an event on its own channel named as
/// the test names it, with an empty body. Imported with <c>using static</c>.
/// </summary>
internal static class StoreSamples
{
    public static RelayClient NewPlugin() => new(ClientKind.Plugin, ClientTokens.NewId(), null);

    public static IncomingEvent Event(RelayClient client, string name) => new(client.OwnChannel, name, "{}");
}
