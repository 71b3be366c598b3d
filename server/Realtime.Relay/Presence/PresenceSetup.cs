using Realtime.Relay.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Presence;

public static class PresenceSetup
{
    /// <summary>Roblox players as presence members: the roster, its silence sweep, the players endpoints.</summary>
    public static IServiceCollection AddPresence(this IServiceCollection services, bool pusherEnabled)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSettings<PresenceOptions>(PresenceOptions.Section);
        services.TryAddSingleton<IPresenceConnectionFactory, PusherPresenceConnections>();
        services.AddSingleton<PresenceRoster>();
        services.AddSingleton<IClientClosedHandler>(sp => sp.GetRequiredService<PresenceRoster>());
        services.TryAddSingleton<IGameRosterReader, LocalGameRosterReader>(); // a cluster registers its Redis reader first

        if (pusherEnabled) services.AddHostedService<PresenceSweeper>();
        return services;
    }
}
