namespace Realtime.Relay.Publishing;

public static class PublishingSetup
{
    /// <summary>Publishing for Roblox clients: the trigger endpoint, the outbox and its sender.</summary>
    public static IServiceCollection AddPublishing(this IServiceCollection services, bool pusherEnabled)
    {
        services.AddSingleton<Outbox>();
        if (pusherEnabled) services.AddHostedService<OutboxSender>();
        return services;
    }
}
