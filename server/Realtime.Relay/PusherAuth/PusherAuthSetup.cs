namespace Realtime.Relay.PusherAuth;

public static class PusherAuthSetup
{
    public static IServiceCollection AddPusherAuth(this IServiceCollection services)
    {
        services.AddSingleton<ChannelPolicy>();
        return services;
    }
}
