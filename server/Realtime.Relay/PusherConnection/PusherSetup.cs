using Realtime.Pusher;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Rest;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Realtime.Relay.Inbox;
using Realtime.Relay.Meta;
using Realtime.Relay.Publishing;
using Realtime.Relay.Configuration;

namespace Realtime.Relay.PusherConnection;

/// <summary>The relay's link to Pusher: signing, the REST client, the WebSocket feed, and their readiness.</summary>
public static class PusherSetup
{
    public static IServiceCollection AddPusher(this IServiceCollection services, PusherSettings settings)
    {
        services.AddSingleton(sp => sp.GetRequiredService<PusherSettings>().Options);
        services.TryAddSingleton(TimeProvider.System);
        if (!settings.IsEnabled)
        {
            services.AddSingleton<DisabledPusherFeed>();
            services.AddSingleton<IRelaySocketIds>(sp => sp.GetRequiredService<DisabledPusherFeed>());
            return services;
        }
        services.AddSingleton(sp => new PusherAuthorizer(sp.GetRequiredService<PusherOptions>()));
        services.AddSingleton<PusherFeed>();
        services.AddSingleton<IRelaySocketIds>(sp => sp.GetRequiredService<PusherFeed>());
        services.AddSingleton<IReadinessCheck>(sp => sp.GetRequiredService<PusherFeed>());
        services.AddHostedService(sp => sp.GetRequiredService<PusherFeed>());
        // One HttpClient for the process, owned by the REST client (PusherServer's socket-exhaustion pitfall).
        services.AddSingleton(sp => new PusherRestClient(sp.GetRequiredService<PusherOptions>()));
        services.AddSingleton<IReadinessCheck, PusherReadinessCheck>();
        return services;
    }
}
