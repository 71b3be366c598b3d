using System.Text;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage.Redis;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Storage.Contract;

/// <summary>One real redis-server (append-only, fsync always) for the Redis engine's test classes.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis-server";
}

/// <summary>
/// The Redis engine's stores as one relay node opens them: its own connection, listening on the
/// wake channel, under a key prefix of its own test (so tests share the server, never data).
/// </summary>
internal static class RedisStores
{
    public static Task<StoreSet> OpenAsync(RedisServer server, InboxOptions options, TimeProvider time) =>
        OpenAsync(server, "test-" + Guid.NewGuid().ToString("N"), options, time);

    public static async Task<StoreSet> OpenAsync(RedisServer server, string prefixName, InboxOptions options, TimeProvider time, Action<RedisStorage>? seen = null)
    {
        var connection = RedisStorageSetup.Connect(ConfigurationOptions.Parse(server.ConfigurationString));
        var redis = new RedisStorage(connection, prefixName);
        seen?.Invoke(redis);
        var signals = new InboxSignals();
        var inboxes = new RedisInboxStore(redis, signals, options, time);
        // A fresh multiplexer may not have its subscription connection up yet, and with FailFast the SUBSCRIBE then fails at
        // once (1 in 10 runs here): a relay node subscribes again when Redis answers (RedisWakeListener); the harness
        // tries until it is subscribed.
        await Wait.UntilAsync(async () =>
        {
            await inboxes.ListenAsync();
            return true;
        }, TimeSpan.FromSeconds(10), "the store to subscribe to its wake channel");
        return new StoreSet(inboxes, new RedisOutboxStore(redis, inboxes, time), new RedisClientCredentialStore(redis), new RedisGameStore(redis),
            new RedisServerSessionStore(redis), new RedisPluginStore(redis), new RedisPairingStore(redis), signals,
            StoredText: () => StoredText(connection, redis.Prefix),
            Close: () => connection.DisposeAsync(),
            Reopen: async () =>
            {
                await connection.DisposeAsync();
                return await OpenAsync(server, prefixName, options, time);
            });
    }

    /// <summary>Every value under the prefix, whatever its type, as text.</summary>
    private static string StoredText(IConnectionMultiplexer connection, string prefix)
    {
        var db = connection.GetDatabase();
        var text = new StringBuilder();
        foreach (var key in connection.GetServers()[0].Keys(pattern: prefix.Replace("{", "\\{").Replace("}", "\\}") + "*"))
        {
            text.Append(key).Append('\n');
            var values = db.KeyType(key) switch
            {
                RedisType.Hash => db.HashGetAll(key).Select(e => e.Name + "=" + e.Value),
                RedisType.Set => db.SetMembers(key).Select(v => v.ToString()),
                RedisType.SortedSet => db.SortedSetRangeByRankWithScores(key).Select(e => e.Element + "=" + e.Score),
                RedisType.Stream => db.StreamRange(key).SelectMany(e => e.Values.Select(v => v.Name + "=" + v.Value)),
                _ => [db.StringGet(key).ToString()],
            };
            foreach (var value in values) text.Append(value).Append('\n');
        }
        return text.ToString();
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisInboxStoreContract(RedisFixture redis) : InboxStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => RedisStores.OpenAsync(redis.Server, options, time);
}

[Collection(RedisCollection.Name)]
public sealed class RedisOutboxStoreContract(RedisFixture redis) : OutboxStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => RedisStores.OpenAsync(redis.Server, options, time);
}

[Collection(RedisCollection.Name)]
public sealed class RedisSessionStoreContract(RedisFixture redis) : SessionStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => RedisStores.OpenAsync(redis.Server, options, time);
}

[Collection(RedisCollection.Name)]
public sealed class RedisGameStoreContract(RedisFixture redis) : GameStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => RedisStores.OpenAsync(redis.Server, options, time);
}

[Collection(RedisCollection.Name)]
public sealed class RedisPairingStoreContract(RedisFixture redis) : PairingStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => RedisStores.OpenAsync(redis.Server, options, time);
}
