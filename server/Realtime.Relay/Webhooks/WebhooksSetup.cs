using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Realtime.Relay.Webhooks;

public static class WebhooksSetup
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WebhookReplayGuard>();
        return services;
    }
}
