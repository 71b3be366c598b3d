using Realtime.Relay.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Pairing;

public static class PairingSetup
{
    public static IServiceCollection AddPairing(this IServiceCollection services)
    {
        services.AddSettings<PairingOptions>(PairingOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PairingService>();
        return services;
    }
}
