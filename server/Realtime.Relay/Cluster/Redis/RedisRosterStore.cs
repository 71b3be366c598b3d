using Newtonsoft.Json;
using Realtime.Relay.Presence;
using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Rosters in one Redis hash (<c>relay:cluster:rosters</c>, field = reporter key, value = the report as JSON), and the
/// seats their holders hold in another (<c>relay:cluster:seats</c>: each player's <c>since</c> and Pusher state).
/// </summary>
public sealed class RedisRosterStore(IConnectionMultiplexer redis) : IRosterStore
{
    private const string SwapField = """
        local previous = redis.call('HGET', KEYS[1], ARGV[1])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return previous
        """;
    // Only the lease holder writes a reporter's seats: a node that lost it (or is still taking it over) cannot overwrite them.
    private const string SetIfHolder = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) return 1 else return 0 end
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<RosterReport?> SaveAsync(RosterReport report)
    {
        var previous = await Db.ScriptEvaluateAsync(SwapField, [RedisKeys.Rosters], [report.ReporterKey, JsonConvert.SerializeObject(report)]);
        return previous.IsNull ? null : Read<RosterReport>((string?)previous);
    }

    public async Task<RosterReport?> GetAsync(string reporterKey) => Read<RosterReport>(await Db.HashGetAsync(RedisKeys.Rosters, reporterKey));

    public async Task<IReadOnlyList<RosterReport>> AllAsync() =>
        (await Db.HashValuesAsync(RedisKeys.Rosters)).Select(v => Read<RosterReport>(v)).OfType<RosterReport>().ToList();

    public async Task RemoveAsync(string reporterKey)
    {
        var db = Db;
        await Task.WhenAll(db.HashDeleteAsync(RedisKeys.Rosters, reporterKey), db.HashDeleteAsync(RedisKeys.Seats, reporterKey));
    }

    public async Task<bool> SaveSeatsAsync(ReporterSeats seats, string node) =>
        (long)await Db.ScriptEvaluateAsync(SetIfHolder, [RedisKeys.PresenceLease(seats.ReporterKey), RedisKeys.Seats],
            [node, seats.ReporterKey, JsonConvert.SerializeObject(seats)]) == 1;

    public async Task<IReadOnlyList<ReporterSeats?>> SeatsAsync(IReadOnlyList<string> reporterKeys)
    {
        if (reporterKeys.Count == 0) return [];
        var values = await Db.HashGetAsync(RedisKeys.Seats, reporterKeys.Select(k => (RedisValue)k).ToArray());
        return values.Select(v => Read<ReporterSeats>(v)).ToList();
    }

    private static T? Read<T>(RedisValue value) where T : class => value.IsNullOrEmpty ? null : JsonConvert.DeserializeObject<T>((string)value!);
}
