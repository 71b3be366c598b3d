using Realtime.Relay.Clients;
using Realtime.Relay.Configuration;
using Realtime.Relay.Games;
using Realtime.Relay.Inbox;
using Realtime.Relay.Meta;
using Realtime.Relay.Pairing;
using Realtime.Relay.Plugins;
using Realtime.Relay.Publishing;
using StackExchange.Redis;

namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// The storage seam's Redis implementation (<c>RELAY_STORE=redis</c>, docs/storage.md): one
/// <see cref="IConnectionMultiplexer"/> for the process, the stores of every aggregate, the wake
/// listener and a readiness check.
/// </summary>
public static class RedisStorageSetup
{
    public static IServiceCollection AddRedisStores(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<StoreSettings>();
            var options = settings.RedisOptions();
            options.ClientName ??= "relay-" + settings.Node;
            return Connect(options);
        });
        services.AddSingleton(sp => new RedisStorage(sp.GetRequiredService<IConnectionMultiplexer>()));
        services.AddSingleton<IStorageRecovery>(sp => sp.GetRequiredService<RedisStorage>());
        services.AddSingleton<RedisInboxStore>();
        services.AddSingleton<IInboxStore>(sp => sp.GetRequiredService<RedisInboxStore>());
        services.AddSingleton<IClientCredentialStore, RedisClientCredentialStore>();
        services.AddSingleton<IPluginStore, RedisPluginStore>();
        services.AddSingleton<IGameStore, RedisGameStore>();
        services.AddSingleton<IServerSessionStore, RedisServerSessionStore>();
        services.AddSingleton<IPairingStore, RedisPairingStore>();
        services.AddSingleton<IOutboxStore, RedisOutboxStore>();
        services.AddHostedService<RedisWakeListener>();
        services.AddSingleton<IReadinessCheck, RedisReadinessCheck>();
        return services;
    }

    /// <summary>
    /// Connects as a relay node does: while Redis is unreachable a call fails at once
    /// (503 <c>storage_unavailable</c>) instead of queueing, and start-up does not wait for Redis.
    /// </summary>
    public static IConnectionMultiplexer Connect(ConfigurationOptions options)
    {
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AbortOnConnectFail = false;
        return ConnectionMultiplexer.Connect(options);
    }
}

/// <summary>Subscribes this node to the wake channel at start, and again whenever that failed and Redis comes back.</summary>
public sealed class RedisWakeListener(RedisInboxStore inboxes, RedisStorage redis, ILogger<RedisWakeListener> log) : IHostedService
{
    private int _listening;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.Recovered += () => _ = ListenAsync();
        await ListenAsync();
    }

    private async Task ListenAsync()
    {
        if (Interlocked.CompareExchange(ref _listening, 1, 0) != 0) return;
        try { await inboxes.ListenAsync(); }
        catch (StorageUnavailableException e)
        {
            Interlocked.Exchange(ref _listening, 0);
            log.LogError("Listening for inbox wake-ups failed ({Reason}); retrying when Redis is back", e.Reason);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Ready while Redis answers PING.</summary>
public sealed class RedisReadinessCheck(RedisStorage redis) : IReadinessCheck
{
    public string Name => "redis";

    public async Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var latency = await redis.RunAsync(db => db.PingAsync());
            // The endpoints only: the configuration string may hold a password.
            var servers = string.Join(", ", redis.Connection.GetEndPoints().Select(e => e.ToString()));
            return ReadinessResult.Ok($"{servers} ({latency.TotalMilliseconds:0.#} ms)");
        }
        catch (StorageUnavailableException e)
        {
            return ReadinessResult.NotReady("storage unavailable: " + e.Reason);
        }
    }
}
