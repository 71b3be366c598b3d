using Realtime.Relay.PusherAuth;

namespace Realtime.Relay.Plugins;

public static class PluginsSetup
{
    /// <summary>Paired plugins: list and revoke, and plugin-channel ownership for Pusher auth.</summary>
    public static IServiceCollection AddPlugins(this IServiceCollection services)
    {
        services.AddSingleton<PluginService>();
        services.AddSingleton<IPluginOwnership, PluginOwnership>();
        return services;
    }
}
