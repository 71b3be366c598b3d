using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Inbox;
using Realtime.Relay.Pairing;
using Realtime.Relay.Plugins;
using Realtime.Relay.Publishing;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// The storage seam's LiteDB implementation (docs/storage.md): one store per aggregate, each
/// registered as its interface. The stores share the one <see cref="StoreWriter"/>, and work
/// with each other's collections inside one write where an operation spans aggregates. Another
/// engine registers its own stores in place of these.
/// </summary>
public static class LiteDbStoresSetup
{
    public static IServiceCollection AddLiteDbStores(this IServiceCollection services)
    {
        services.AddSingleton<LiteDbInboxStore>();
        services.AddSingleton<IInboxStore>(sp => sp.GetRequiredService<LiteDbInboxStore>());
        services.AddSingleton<LiteDbClientCredentialStore>();
        services.AddSingleton<IClientCredentialStore>(sp => sp.GetRequiredService<LiteDbClientCredentialStore>());
        services.AddSingleton<LiteDbPluginStore>();
        services.AddSingleton<IPluginStore>(sp => sp.GetRequiredService<LiteDbPluginStore>());
        services.AddSingleton<IGameStore, LiteDbGameStore>();
        services.AddSingleton<IServerSessionStore, LiteDbServerSessionStore>();
        services.AddSingleton<IPairingStore, LiteDbPairingStore>();
        services.AddSingleton<IOutboxStore, LiteDbOutboxStore>();
        return services;
    }
}
