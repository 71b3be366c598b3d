using Realtime.Relay.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Games;

public static class GamesSetup
{
    /// <summary>Games, server keys, game-server sessions, client activity and the silent-session sweeper.</summary>
    public static IServiceCollection AddGames(this IServiceCollection services)
    {
        services.AddSettings<ServerSessionOptions>(ServerSessionOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ClientActivity>();
        services.AddSingleton<IClientActivity>(sp => sp.GetRequiredService<ClientActivity>());
        services.AddSingleton<GameService>();
        services.AddSingleton<GameAccess>();
        services.AddSingleton<GameCatalog>();
        services.AddHostedService<ServerSessionSweeper>();
        return services;
    }
}
