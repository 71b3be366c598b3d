using Newtonsoft.Json;
using StackExchange.Redis;

namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// The Redis engine's connection and conventions (docs/storage.md, "The Redis engine"): every key
/// starts with <see cref="Prefix"/>, whose <c>{…}</c> hash tag puts all of the relay's keys in one
/// cluster slot, so every multi-key Lua script stays legal on a Redis Cluster. Every call fails at
/// once with <see cref="StorageUnavailableException"/> while Redis cannot be reached, and
/// <see cref="Recovered"/> is raised when the connection is back.
/// </summary>
public sealed class RedisStorage : IStorageRecovery
{
    private static readonly JsonSerializerSettings Json = new() { DateTimeZoneHandling = DateTimeZoneHandling.Utc };
    private readonly IConnectionMultiplexer _redis;

    public RedisStorage(IConnectionMultiplexer redis, string prefixName = "relay")
    {
        _redis = redis;
        Prefix = "rb:{" + prefixName + "}:";
        redis.ConnectionRestored += (_, e) => { if (e.ConnectionType == ConnectionType.Interactive) Recovered?.Invoke(); };
    }

    public event Action? Recovered;

    /// <summary>What every key of this relay starts with; also the one key each script is given (KEYS[1]).</summary>
    public string Prefix { get; }

    public IConnectionMultiplexer Connection => _redis;

    public RedisKey Key(string name) => Prefix + name;

    /// <summary>Pub/sub channel on which every append and close names its inbox (wakes readers on every node).</summary>
    public RedisChannel WakeChannel => RedisChannel.Literal(Prefix + "wakes");

    /// <summary>Runs a Lua script with the prefix as KEYS[1] (its keys are derived from it, all in the prefix's slot).</summary>
    public Task<RedisResult> ScriptAsync(string script, params RedisValue[] args) =>
        RunAsync(db => db.ScriptEvaluateAsync(script, [Prefix], args));

    /// <summary>One call against Redis; an unreachable or failing server becomes <see cref="StorageUnavailableException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> call)
    {
        try
        {
            return await call(_redis.GetDatabase());
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw new StorageUnavailableException("Redis: " + e.Message, e);
        }
    }

    public Task RunAsync(Func<IDatabase, Task> call) => RunAsync(async db => { await call(db); return true; });

    /// <summary>Redis cannot answer right now (no connection, timeout, loading its file, read-only replica, out of memory).</summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        RedisConnectionException or RedisTimeoutException or ObjectDisposedException => true,
        RedisServerException s => s.Message.StartsWith("LOADING", StringComparison.Ordinal) || s.Message.StartsWith("READONLY", StringComparison.Ordinal)
            || s.Message.StartsWith("OOM", StringComparison.Ordinal) || s.Message.StartsWith("MISCONF", StringComparison.Ordinal),
        _ => false,
    };

    public static string ToJson<T>(T value) => JsonConvert.SerializeObject(value, Json);

    public static T FromJson<T>(RedisValue text) => JsonConvert.DeserializeObject<T>(text!, Json)!;

    /// <summary>
    /// A time as 19 digits of ticks: exact, and ordered as text, so Lua scripts compare times as
    /// strings (Lua's numbers are doubles and would round ticks).
    /// </summary>
    public static string Ticks(DateTime at) => at.ToUniversalTime().Ticks.ToString("D19");

    public static DateTime FromTicks(RedisValue ticks) => new(long.Parse(ticks.ToString()), DateTimeKind.Utc);
}
