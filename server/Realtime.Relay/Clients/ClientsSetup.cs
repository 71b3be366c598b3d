using Microsoft.AspNetCore.Authentication;

namespace Realtime.Relay.Clients;

public static class ClientsSetup
{
    /// <summary>Roblox clients' bearer tokens, beside the platform's JWT scheme.</summary>
    public static IServiceCollection AddRelayClients(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ClientTokenAuthentication>(ClientTokenAuthentication.SchemeName, null);
        return services;
    }
}
