using Realtime.Relay.Clients;
using Realtime.Relay.Pairing;
using Realtime.Relay.Plugins;
using StackExchange.Redis;

namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// Pairings in Redis: <c>P pairings</c> (device-code hash → JSON), <c>P pairing-version</c>
/// (→ version, compared by every change), <c>P pairing-expiry</c> (→ expiry ticks),
/// <c>P pairing-pending</c> (→ expiry ticks, pending ones only), <c>P user-codes</c> (user code →
/// device-code hash, for uniqueness) and <c>P pairing-of-plugin</c> (plugin id → device-code hash).
/// Every change is one script that compares the version first; the exchange also writes the
/// plugin, its token hash and its inbox.
/// </summary>
public sealed class RedisPairingStore(RedisStorage redis) : IPairingStore
{
    // ARGV: hash, user code, json, expiry, now, max pending
    private const string AddScript = """
        local P = KEYS[1]
        local count, oldest = 0, nil
        local pending = redis.call('HGETALL', P .. 'pairing-pending')
        for i = 1, #pending, 2 do
          if pending[i + 1] > ARGV[5] then
            count = count + 1
            if oldest == nil or pending[i + 1] < oldest then oldest = pending[i + 1] end
          end
        end
        if count >= tonumber(ARGV[6]) then return {0, 0, count, oldest or ''} end
        if redis.call('HSETNX', P .. 'user-codes', ARGV[2], ARGV[1]) == 0 then return {0, 1, 0, ''} end
        redis.call('HSET', P .. 'pairings', ARGV[1], ARGV[3])
        redis.call('HSET', P .. 'pairing-version', ARGV[1], 0)
        redis.call('HSET', P .. 'pairing-expiry', ARGV[1], ARGV[4])
        redis.call('HSET', P .. 'pairing-pending', ARGV[1], ARGV[4])
        return {1, 0, 0, ''}
        """;

    // ARGV 1-7: hash, expected version, json at the next version, expiry, pending (1/0), plugin id or ''
    private const string Replace = """
        local P = KEYS[1]
        local function replace()
          if redis.call('HGET', P .. 'pairing-version', ARGV[1]) ~= ARGV[2] then return false end
          redis.call('HSET', P .. 'pairings', ARGV[1], ARGV[3])
          redis.call('HINCRBY', P .. 'pairing-version', ARGV[1], 1)
          redis.call('HSET', P .. 'pairing-expiry', ARGV[1], ARGV[4])
          if ARGV[5] == '1' then redis.call('HSET', P .. 'pairing-pending', ARGV[1], ARGV[4])
          else redis.call('HDEL', P .. 'pairing-pending', ARGV[1]) end
          if ARGV[6] ~= '' then redis.call('HSET', P .. 'pairing-of-plugin', ARGV[6], ARGV[1]) end
          return true
        end

        """;

    private const string ReplaceScript = Replace + "if replace() then return 1 end return 0";

    // ARGV 7-: plugin json, token hash, token json, then open_inbox's five arguments
    private const string ConsumeScript = Replace + RedisScripts.Inbox + RedisScripts.Tokens + """
        if redis.call('HEXISTS', P .. 'plugins', ARGV[6]) == 1 then return 0 end
        if not replace() then return 0 end
        redis.call('HSET', P .. 'plugins', ARGV[6], ARGV[7])
        add_token(ARGV[8], ARGV[10], ARGV[9])
        open_inbox(ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14])
        return 1
        """;

    private const string DeleteExpiredScript = """
        local P = KEYS[1]
        local n = 0
        local expiry = redis.call('HGETALL', P .. 'pairing-expiry')
        for i = 1, #expiry, 2 do
          local hash = expiry[i]
          if expiry[i + 1] < ARGV[1] then
            local text = redis.call('HGET', P .. 'pairings', hash)
            local doc = cjson.decode(text)
            if redis.call('HGET', P .. 'user-codes', doc['UserCode']) == hash then redis.call('HDEL', P .. 'user-codes', doc['UserCode']) end
            local plugin = doc['PluginId']
            if type(plugin) == 'string' and redis.call('HGET', P .. 'pairing-of-plugin', plugin) == hash then
              redis.call('HDEL', P .. 'pairing-of-plugin', plugin)
            end
            for _, k in ipairs({'pairings', 'pairing-version', 'pairing-expiry', 'pairing-pending'}) do redis.call('HDEL', P .. k, hash) end
            n = n + 1
          end
        end
        return n
        """;

    public async Task<PairingRecord?> FindByDeviceCodeAsync(string deviceCodeHash)
    {
        var found = await redis.RunAsync(db => db.HashGetAsync(redis.Key("pairings"), deviceCodeHash));
        return found.IsNull ? null : RedisStorage.FromJson<PairingRecord>(found);
    }

    /// <summary>User codes are unique among stored pairings, so the newest is the one.</summary>
    public async Task<PairingRecord?> NewestWithUserCodeAsync(string userCode)
    {
        var hash = await redis.RunAsync(db => db.HashGetAsync(redis.Key("user-codes"), userCode));
        return hash.IsNull ? null : await FindByDeviceCodeAsync(hash!);
    }

    public async Task<PairingAdmission> AddPendingAsync(PairingRecord pairing, int maxPending, DateTime now)
    {
        pairing.Version = 0;
        var answer = (RedisResult[])(await redis.ScriptAsync(AddScript, pairing.DeviceCodeHash, pairing.UserCode, RedisStorage.ToJson(pairing),
            RedisStorage.Ticks(pairing.ExpiresAt), RedisStorage.Ticks(now), maxPending))!;
        var oldest = (string?)answer[3];
        return new PairingAdmission((int)answer[0] == 1, UserCodeTaken: (int)answer[1] == 1, Pending: (int)answer[2],
            OldestPendingExpiry: string.IsNullOrEmpty(oldest) ? null : RedisStorage.FromTicks(oldest));
    }

    public async Task<bool> ReplaceAsync(PairingRecord pairing, long expectedVersion) =>
        await WriteAtNextVersionAsync(pairing, expectedVersion, args => redis.ScriptAsync(ReplaceScript, args));

    public async Task<bool> ConsumeAsync(PairingRecord consumed, long expectedVersion, PluginRecord plugin, string tokenHash)
    {
        var client = new RelayClient(ClientKind.Plugin, plugin.PluginId, plugin.GameId);
        return await WriteAtNextVersionAsync(consumed, expectedVersion, args => redis.ScriptAsync(ConsumeScript,
        [
            .. args[..5], plugin.PluginId, RedisStorage.ToJson(plugin), tokenHash,
            RedisClientCredentialStore.Json(client, plugin.CreatedAt), .. RedisInboxStore.OpenArgs(client, plugin.CreatedAt),
        ]));
    }

    /// <summary>Runs a compare-and-set script; <paramref name="pairing"/> says the next version only if it was written.</summary>
    private static async Task<bool> WriteAtNextVersionAsync(PairingRecord pairing, long expectedVersion, Func<RedisValue[], Task<RedisResult>> script)
    {
        pairing.Version = expectedVersion + 1;
        var written = (int)await script(
        [
            pairing.DeviceCodeHash, expectedVersion, RedisStorage.ToJson(pairing), RedisStorage.Ticks(pairing.ExpiresAt),
            pairing.State == PairingState.Pending ? "1" : "0", pairing.PluginId ?? "",
        ]) == 1;
        if (!written) pairing.Version = expectedVersion;
        return written;
    }

    public async Task<int> DeleteExpiredAsync(DateTime cutoff) => (int)await redis.ScriptAsync(DeleteExpiredScript, RedisStorage.Ticks(cutoff));

    public async Task<int> CountPendingAsync(DateTime now)
    {
        var pending = await redis.RunAsync(db => db.HashValuesAsync(redis.Key("pairing-pending")));
        return pending.Count(expiry => RedisStorage.FromTicks(expiry) > now);
    }

    public async Task<string?> PendingOwnerOfAsync(string pluginId, DateTime now)
    {
        var hash = await redis.RunAsync(db => db.HashGetAsync(redis.Key("pairing-of-plugin"), pluginId));
        if (hash.IsNull || await FindByDeviceCodeAsync(hash!) is not { } pairing) return null;
        return pairing.PluginId == pluginId && pairing.State == PairingState.Approved && pairing.ExpiresAt > now ? pairing.DecidedBy : null;
    }
}
