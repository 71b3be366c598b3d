namespace Realtime.Relay.OpenApi;

public static class OpenApiSetup
{
    public static IServiceCollection AddRelayOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi();
        return services;
    }
}
