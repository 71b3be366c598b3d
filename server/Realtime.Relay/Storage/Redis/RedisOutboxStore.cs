using Realtime.Relay.Publishing;
using StackExchange.Redis;

namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// The outbox in Redis: entries (JSON) in the hash <c>P outbox</c> under ids from the counter
/// <c>P outbox:next</c>, pending ids in the sorted set <c>P outbox:pending</c> (score = id, so
/// acceptance order), idempotency keys in the sorted set <c>P outbox:keys</c> (score = first seen,
/// Unix ms). Accepting a batch and completing one (with its deliveries) are single scripts.
/// </summary>
public sealed class RedisOutboxStore(RedisStorage redis, RedisInboxStore inboxes, TimeProvider clock) : IOutboxStore
{
    private const string AcceptScript = """
        local P = KEYS[1]
        local n = 0
        for i = 2, #ARGV, 2 do
          local key = ARGV[i]
          if key == '' or redis.call('ZADD', P .. 'outbox:keys', 'NX', ARGV[1], key) == 1 then
            local id = redis.call('INCR', P .. 'outbox:next')
            redis.call('HSET', P .. 'outbox', id, ARGV[i + 1])
            redis.call('ZADD', P .. 'outbox:pending', id, id)
            n = n + 1
          end
        end
        return n
        """;

    // ARGV: time, limit, then per entry: id, channel, event, data, listener count, listeners...
    private const string CompleteScript = RedisScripts.Inbox + """
        local i = 3
        while i <= #ARGV do
          local id, ch, ev, data, count = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
          if redis.call('ZREM', P .. 'outbox:pending', id) == 1 then
            redis.call('HDEL', P .. 'outbox', id)
            for l = 1, count do append_one(ARGV[i + 4 + l], ch, ev, data, '', ARGV[1], tonumber(ARGV[2])) end
          end
          i = i + 5 + count
        end
        return 1
        """;

    private const string RejectScript = """
        local P = KEYS[1]
        redis.call('ZREM', P .. 'outbox:pending', ARGV[1])
        return redis.call('HDEL', P .. 'outbox', ARGV[1])
        """;

    public async Task<int> AcceptAsync(IReadOnlyList<(OutboxEntry Entry, string? Key)> events, DateTime now)
    {
        var args = new List<RedisValue> { new DateTimeOffset(now).ToUnixTimeMilliseconds() };
        foreach (var (entry, key) in events)
        {
            entry.AcceptedAt = now;
            args.Add(key ?? "");
            args.Add(RedisStorage.ToJson(entry));
        }
        return (int)await redis.ScriptAsync(AcceptScript, [.. args]);
    }

    public async Task<List<OutboxEntry>> OldestAsync(int count)
    {
        var ids = await redis.RunAsync(db => db.SortedSetRangeByRankAsync(redis.Key("outbox:pending"), 0, count - 1));
        if (ids.Length == 0) return [];
        var texts = await redis.RunAsync(db => db.HashGetAsync(redis.Key("outbox"), ids));
        var entries = new List<OutboxEntry>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (texts[i].IsNull) continue; // completed meanwhile
            var entry = RedisStorage.FromJson<OutboxEntry>(texts[i]);
            entry.Id = (long)ids[i];
            entries.Add(entry);
        }
        return entries;
    }

    public async Task<int> CountAsync() => (int)await redis.RunAsync(db => db.SortedSetLengthAsync(redis.Key("outbox:pending")));

    public async Task CompleteAsync(IReadOnlyList<OutboxDelivery> published)
    {
        if (published.Count == 0) return;
        var args = new List<RedisValue>(inboxes.TimeAndLimit(clock.GetUtcNow().UtcDateTime));
        foreach (var (entry, listeners) in published)
        {
            args.AddRange([entry.Id, entry.Channel, entry.Event, entry.Data, listeners.Count]);
            args.AddRange(listeners.Select(l => (RedisValue)l));
        }
        await redis.ScriptAsync(CompleteScript, [.. args]);
    }

    public Task RejectAsync(long entryId) => redis.ScriptAsync(RejectScript, entryId);

    public async Task<int> ForgetKeysAsync(DateTime cutoff) => (int)await redis.RunAsync(db => db.SortedSetRemoveRangeByScoreAsync(
        redis.Key("outbox:keys"), double.NegativeInfinity, new DateTimeOffset(cutoff).ToUnixTimeMilliseconds(), Exclude.Stop));
}
