using Microsoft.Extensions.DependencyInjection.Extensions;
using Realtime.Relay.Cluster.Redis;
using Realtime.Relay.Configuration;
using StackExchange.Redis;

namespace Realtime.Relay.Cluster;

/// <summary>
/// How relay nodes share work (docs/cluster.md): one node does everything itself unless
/// <c>Relay:Store</c> (RELAY_STORE) is <c>redis</c>; then heartbeats, channel leases, outbox claims and
/// presence leases live in the Redis behind the <see cref="IConnectionMultiplexer"/> the Redis stores register.
/// </summary>
public static class ClusterSetup
{
    public const string StoreKey = "Relay:Store";

    public static bool UsesRedis(IConfiguration configuration) =>
        (configuration.GetSection(RelaySettings.Section).Get<StoreSettings>() ?? new StoreSettings()).UsesRedis;

    public static IServiceCollection AddCluster(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSettings<ClusterOptions>(ClusterOptions.Section);
        services.AddSingleton(sp => new NodeIdentity(sp.GetRequiredService<StoreSettings>().Node));
        services.AddSingleton<ClaimedOutboxReader>();
        if (!UsesRedis(configuration))
        {
            services.AddSingleton<INodeMembership, SingleNodeMembership>();
            services.AddSingleton<IChannelOwnership, SingleNodeChannelOwnership>();
            services.AddSingleton<IOutboxClaims, SingleNodeOutboxClaims>();
            services.AddSingleton<IPresenceHolding, SingleNodePresenceHolding>();
            services.AddSingleton<IRestartGapScope, SingleNodeRestartGapScope>();
            return services;
        }
        services.AddSingleton<RedisNodeMembership>();
        services.AddSingleton<INodeMembership>(sp => sp.GetRequiredService<RedisNodeMembership>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisNodeMembership>());
        services.AddSingleton<Storage.Redis.RedisChannelFences>();
        services.AddSingleton<RedisChannelOwnership>();
        services.AddSingleton<IChannelOwnership>(sp => sp.GetRequiredService<RedisChannelOwnership>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisChannelOwnership>());
        services.AddSingleton<IRestartGapScope, RedisRestartGapScope>();
        services.AddSingleton<RedisRouteSync>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisRouteSync>());
        services.AddSingleton<IOutboxClaims, RedisOutboxClaims>();
        services.AddSingleton<RedisLeases>();
        services.AddSingleton<IRosterStore, RedisRosterStore>();
        services.AddSingleton<RedisPresenceNudges>();
        services.AddSingleton<IPresenceHolding, RedisPresenceHolding>();
        services.AddSingleton<Presence.IGameRosterReader, RedisGameRosterReader>();
        services.AddSingleton<PresenceTakeover>();
        services.AddHostedService(sp => sp.GetRequiredService<PresenceTakeover>());
        return services;
    }
}
