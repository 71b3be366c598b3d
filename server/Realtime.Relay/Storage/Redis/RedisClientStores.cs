using Realtime.Relay.Clients;
using Realtime.Relay.Plugins;

namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// Token hashes in Redis: <c>P tokens</c> (hash → client, JSON) and <c>P tokens-of:INBOX</c> (a
/// client's hashes, so revoking is one set). Tokens are added and revoked only by the scripts of
/// the sessions and plugins they belong to (<see cref="RedisScripts.Tokens"/>).
/// </summary>
public sealed class RedisClientCredentialStore(RedisStorage redis) : IClientCredentialStore
{
    public async Task<RelayClient?> FindAsync(string tokenHash)
    {
        var text = await redis.RunAsync(db => db.HashGetAsync(redis.Key("tokens"), tokenHash));
        return text.IsNull ? null : RedisStorage.FromJson<StoredCredential>(text).ToClient();
    }

    /// <summary>What <c>add_token</c> stores under a token hash: whose it is, and since when.</summary>
    internal static string Json(RelayClient client, DateTime now) =>
        RedisStorage.ToJson(new StoredCredential(client.Kind, client.Id, client.GameId, now));

    private sealed record StoredCredential(ClientKind Kind, string ClientId, string? GameId, DateTime CreatedAt)
    {
        public RelayClient ToClient() => new(Kind, ClientId, GameId);
    }
}

/// <summary>
/// Plugins in Redis: the hash <c>P plugins</c> (id → JSON). A plugin is added by the pairing's
/// exchange script (<see cref="RedisPairingStore"/>) and removed here with its tokens and inbox in one script.
/// </summary>
public sealed class RedisPluginStore(RedisStorage redis) : IPluginStore
{
    private const string RemoveScript = RedisScripts.Inbox + RedisScripts.Tokens + """
        if redis.call('HDEL', P .. 'plugins', ARGV[1]) == 0 then return 0 end
        revoke_tokens(ARGV[2])
        close_inbox(ARGV[2])
        return 1
        """;

    public async Task<PluginRecord?> FindAsync(string pluginId)
    {
        var text = await redis.RunAsync(db => db.HashGetAsync(redis.Key("plugins"), pluginId));
        return text.IsNull ? null : RedisStorage.FromJson<PluginRecord>(text);
    }

    public async Task<IReadOnlyList<PluginRecord>> OwnedByAsync(string ownerId) => (await AllAsync()).Where(p => p.OwnerId == ownerId).ToList();

    public async Task<IReadOnlyList<PluginRecord>> AllAsync() =>
        (await redis.RunAsync(db => db.HashValuesAsync(redis.Key("plugins")))).Select(RedisStorage.FromJson<PluginRecord>).OrderBy(p => p.CreatedAt).ToList();

    public async Task<bool> RemoveAsync(string pluginId) =>
        (int)await redis.ScriptAsync(RemoveScript, pluginId, new RelayClient(ClientKind.Plugin, pluginId, null).InboxId) == 1;
}
