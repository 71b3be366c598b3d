using Realtime.Relay.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Realtime.Relay.Inbox;

public static class InboxSetup
{
    public static IServiceCollection AddInboxes(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSettings<InboxOptions>(InboxOptions.Section);
        services.AddSingleton<InboxSignals>();
        services.AddSingleton<HeldRequestLimits>();
        services.AddHostedService<InboxRetention>();
        services.AddSingleton<InboxReader>();
        services.AddSingleton<ChannelRouter>();
        services.AddHostedService<RestartGapReporter>();
        services.AddSingleton<SubscriptionPolicy>();
        services.AddSingleton<IInboxLifecycle, InboxLifecycle>();
        return services;
    }
}
