using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Leases in Redis: a key whose value is the holder's node id, with a time-to-live. Taken with
/// <c>SET NX PX</c>; renewed, handed over and released only by compare-and-act Lua scripts, so a
/// node that lost its lease (it expired and someone else took it) can never extend or drop the new holder's.
/// </summary>
public sealed class RedisLeases(IConnectionMultiplexer redis)
{
    private const string ExtendIfHeld = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end
        """;
    private const string ExtendIfHeldOrSayWhy = """
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) elseif holder then return 0 else return -1 end
        """;
    private const string ReleaseIfHeld = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end
        """;
    private const string HandOverIfHeld = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end
        """;

    private IDatabase Db => redis.GetDatabase();

    public Task<bool> TryAcquireAsync(string key, string node, TimeSpan ttl) => Db.StringSetAsync(key, node, ttl, When.NotExists);

    public async Task<bool> RenewAsync(string key, string node, TimeSpan ttl) =>
        (long)await Db.ScriptEvaluateAsync(ExtendIfHeld, [key], [node, (long)ttl.TotalMilliseconds]) == 1;

    /// <summary>
    /// Renews like <see cref="RenewAsync"/> and says why not (read the answer with <see cref="RenewalOf"/>). The raw
    /// task, with no continuation of its own: a renewal thread can wait for a batch of them without the thread pool.
    /// </summary>
    public Task<RedisResult> SendRenewal(string key, string node, TimeSpan ttl) =>
        Db.ScriptEvaluateAsync(ExtendIfHeldOrSayWhy, [key], [node, (long)ttl.TotalMilliseconds]);

    public static LeaseRenewal RenewalOf(RedisResult answer) => (long)answer switch
    {
        1 => LeaseRenewal.Renewed,
        0 => LeaseRenewal.HeldByAnother,
        _ => LeaseRenewal.Lapsed,
    };

    public async Task<bool> ReleaseAsync(string key, string node) =>
        (long)await Db.ScriptEvaluateAsync(ReleaseIfHeld, [key], [node]) == 1;

    /// <summary>Moves the lease from <paramref name="from"/> to <paramref name="to"/>, only if <paramref name="from"/> still holds it.</summary>
    public async Task<bool> HandOverAsync(string key, string from, string to, TimeSpan ttl) =>
        (long)await Db.ScriptEvaluateAsync(HandOverIfHeld, [key], [from, to, (long)ttl.TotalMilliseconds]) == 1;

    public async Task<string?> HolderAsync(string key) => await Db.StringGetAsync(key);

    /// <summary>The holders of many leases in one round trip (null where free).</summary>
    public async Task<string?[]> HoldersAsync(IReadOnlyList<string> keys)
    {
        if (keys.Count == 0) return [];
        var values = await Db.StringGetAsync(keys.Select(k => (RedisKey)k).ToArray());
        return values.Select(v => v.IsNull ? null : (string?)v).ToArray();
    }
}

/// <summary>What renewing a lease found.</summary>
public enum LeaseRenewal
{
    Renewed,
    /// <summary>Another node holds it (handed over, or taken after it lapsed: that node tells any gap).</summary>
    HeldByAnother,
    /// <summary>It expired and nobody holds it: whoever takes it next tells the inboxes what was missed.</summary>
    Lapsed,
}
