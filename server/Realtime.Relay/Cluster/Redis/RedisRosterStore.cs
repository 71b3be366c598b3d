using Newtonsoft.Json;
using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>Rosters in one Redis hash (<c>relay:cluster:rosters</c>, field = reporter key, value = the report as JSON).</summary>
public sealed class RedisRosterStore(IConnectionMultiplexer redis) : IRosterStore
{
    private const string SwapField = """
        local previous = redis.call('HGET', KEYS[1], ARGV[1])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return previous
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<RosterReport?> SaveAsync(RosterReport report)
    {
        var previous = await Db.ScriptEvaluateAsync(SwapField, [RedisKeys.Rosters], [report.ReporterKey, JsonConvert.SerializeObject(report)]);
        return previous.IsNull ? null : Read((string?)previous);
    }

    public async Task<RosterReport?> GetAsync(string reporterKey) => Read(await Db.HashGetAsync(RedisKeys.Rosters, reporterKey));

    public async Task<IReadOnlyList<RosterReport>> AllAsync() =>
        (await Db.HashValuesAsync(RedisKeys.Rosters)).Select(v => Read(v)).OfType<RosterReport>().ToList();

    public Task RemoveAsync(string reporterKey) => Db.HashDeleteAsync(RedisKeys.Rosters, reporterKey);

    private static RosterReport? Read(RedisValue value) => value.IsNullOrEmpty ? null : JsonConvert.DeserializeObject<RosterReport>((string)value!);
}
