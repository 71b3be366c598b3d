using Newtonsoft.Json;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using StackExchange.Redis;

namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// Inboxes in Redis (docs/storage.md, "The Redis engine"): a hash per inbox for its state and a
/// stream per inbox for its events, the stream entry id being the event's seq. Every change is
/// one Lua script; each append or close publishes the inbox id on the wake channel, and
/// <see cref="ListenAsync"/> pulses <see cref="InboxSignals"/> on every node that hears it. Reads
/// always go to Redis, so every node sees every other node's appends.
/// </summary>
public sealed class RedisInboxStore : IInboxStore
{
    private static readonly Prometheus.Counter Stored = Prometheus.Metrics.CreateCounter(
        "relay_inbox_events_stored_total", "Events stored into inboxes (one per receiving inbox).");

    private static readonly Prometheus.Counter Fenced = Prometheus.Metrics.CreateCounter(
        "relay_cluster_events_fenced_total", "Events refused because another node took their channel's lease since this node heard them.");

    // ARGV[7]: the lease epoch the event was heard under ('' = not fenced). An older epoch than the channel's
    // current one means another node took the channel since: nothing is stored (docs/cluster.md, "Fencing").
    private const string AppendScript = RedisScripts.Inbox + """
        if ARGV[7] ~= '' then
          local current = redis.call('GET', P .. 'fence:' .. ARGV[3])
          if current and current ~= ARGV[7] then return -1 end
        end
        local n = 0
        for i = 8, #ARGV do
          if append_one(ARGV[i], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[1], tonumber(ARGV[2])) then n = n + 1 end
        end
        return n
        """;

    private const string OpenScript = RedisScripts.Inbox + "open_inbox(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]) return 1";

    private const string CloseScript = RedisScripts.Inbox + "close_inbox(ARGV[1]) return 1";

    private const string AcknowledgeScript = RedisScripts.Inbox + """
        local k = P .. 'inbox:' .. ARGV[1]
        if redis.call('EXISTS', k) == 0 then return 0 end
        local upTo = math.min(tonumber(ARGV[2]), tonumber(redis.call('HGET', k, 'next')) - 1)
        if upTo <= tonumber(redis.call('HGET', k, 'acked')) then return 0 end
        redis.call('HSET', k, 'acked', upTo)
        if upTo >= tonumber(redis.call('HGET', k, 'first')) then
          redis.call('XTRIM', P .. 'events:' .. ARGV[1], 'MINID', (upTo + 1) .. '-0')
          redis.call('HSET', k, 'first', upTo + 1)
        end
        return 1
        """;

    private const string SubscriptionsScript = RedisScripts.Inbox + """
        local k = P .. 'inbox:' .. ARGV[1]
        if redis.call('EXISTS', k) == 0 then return 0 end
        redis.call('HSET', k, 'subs', ARGV[2])
        return 1
        """;

    // Events are in seq order and stamped as stored, so each inbox is read from its oldest event
    // until the first one young enough.
    private const string ExpireScript = RedisScripts.Inbox + """
        local woken = 0
        for _, id in ipairs(redis.call('SMEMBERS', P .. 'inboxes')) do
          local through, start, more = nil, '-', true
          while more do
            local batch = redis.call('XRANGE', P .. 'events:' .. id, start, '+', 'COUNT', 100)
            more = #batch == 100
            for _, entry in ipairs(batch) do
              local at
              for f = 1, #entry[2], 2 do if entry[2][f] == 'at' then at = entry[2][f + 1] end end
              if at >= ARGV[1] then more = false break end
              through = tonumber(string.match(entry[1], '^(%d+)'))
              start = '(' .. entry[1]
            end
          end
          if through then
            drop(id, through)
            redis.call('PUBLISH', P .. 'wakes', id)
            woken = woken + 1
          end
        end
        return woken
        """;

    private readonly RedisStorage _redis;
    private readonly InboxSignals _signals;
    private readonly InboxOptions _options;
    private readonly TimeProvider _clock;

    public RedisInboxStore(RedisStorage redis, InboxSignals signals, InboxOptions options, TimeProvider clock)
    {
        _redis = redis;
        _signals = signals;
        _options = options;
        _clock = clock;
    }

    /// <summary>
    /// Hears the wake channel: every append or close, from any node, pulses this node's waiting
    /// readers, which then read Redis (StackExchange.Redis cannot block on XREAD). Completes once subscribed.
    /// </summary>
    public Task ListenAsync() => _redis.RunAsync(_ =>
        _redis.Connection.GetSubscriber().SubscribeAsync(_redis.WakeChannel, (_, inboxId) => _signals.Pulse(inboxId!)));

    public async Task<InboxState?> StateOfAsync(string inboxId)
    {
        var fields = await _redis.RunAsync(db => db.HashGetAllAsync(_redis.Key("inbox:" + inboxId)));
        return fields.Length == 0 ? null : StateFrom(inboxId, fields.ToDictionary(f => f.Name.ToString(), f => f.Value));
    }

    public async Task<IReadOnlyList<InboxState>> AllStatesAsync()
    {
        var ids = await _redis.RunAsync(db => db.SetMembersAsync(_redis.Key("inboxes")));
        // Sent together: the multiplexer pipelines them on its one connection.
        var states = await Task.WhenAll(ids.Select(id => StateOfAsync(id!)));
        return states.OfType<InboxState>().ToList();
    }

    public Task OpenAsync(RelayClient client) => _redis.ScriptAsync(OpenScript, OpenArgs(client, _clock.GetUtcNow().UtcDateTime));

    /// <summary>The arguments of <c>open_inbox</c> for <paramref name="client"/> (other stores' scripts open inboxes too).</summary>
    internal static RedisValue[] OpenArgs(RelayClient client, DateTime now) =>
        [client.InboxId, client.Kind.ToString(), client.Id, client.GameId ?? "", RedisStorage.Ticks(now)];

    public async Task CloseAsync(RelayClient client)
    {
        await _redis.ScriptAsync(CloseScript, client.InboxId);
        _signals.Pulse(client.InboxId);
    }

    /// <summary>
    /// Appends <paramref name="e"/> to each inbox, unless it carries a <see cref="IncomingEvent.LeaseEpoch"/> older than
    /// its channel's: then another node owns the channel since, and the gap is that node's to tell (docs/cluster.md).
    /// </summary>
    public async Task AppendAsync(IReadOnlyCollection<string> inboxIds, IncomingEvent e)
    {
        if (inboxIds.Count == 0) return;
        RedisValue epoch = e.LeaseEpoch is { } leaseEpoch ? leaseEpoch : "";
        var stored = (int)await _redis.ScriptAsync(AppendScript,
            [.. AppendArgs(e, _clock.GetUtcNow().UtcDateTime), epoch, .. inboxIds.Select(id => (RedisValue)id)]);
        if (stored < 0)
        {
            Fenced.Inc();
            return;
        }
        Stored.Inc(stored);
        foreach (var id in inboxIds) _signals.Pulse(id); // this node's readers need not wait for the echo from Redis
    }

    /// <summary>ARGV 1–6 of the append script (time, limit, channel, event, data, user).</summary>
    private RedisValue[] AppendArgs(IncomingEvent e, DateTime now) => [.. TimeAndLimit(now), e.Channel, e.Event, e.Data, e.UserId ?? ""];

    /// <summary>The time stamp and count limit that <c>append_one</c> takes, for other stores' scripts that append.</summary>
    internal RedisValue[] TimeAndLimit(DateTime now) => [RedisStorage.Ticks(now), _options.MaxEventsPerClient];

    public Task AcknowledgeAsync(string inboxId, long seq) => _redis.ScriptAsync(AcknowledgeScript, inboxId, seq);

    public Task SetSubscriptionsAsync(string inboxId, IReadOnlyList<string> channels) =>
        _redis.ScriptAsync(SubscriptionsScript, inboxId, JsonConvert.SerializeObject(channels));

    public Task ExpireAsync() =>
        _redis.ScriptAsync(ExpireScript, RedisStorage.Ticks(_clock.GetUtcNow().UtcDateTime - _options.Retention));

    public async Task<List<StoredEvent>> ReadAfterAsync(string inboxId, long after, int limit)
    {
        var entries = await _redis.RunAsync(db => db.StreamRangeAsync(_redis.Key("events:" + inboxId), $"{after + 1}-0", "+", limit));
        return entries.Select(entry =>
        {
            var f = entry.Values.ToDictionary(v => v.Name.ToString(), v => v.Value);
            var seq = long.Parse(entry.Id.ToString().Split('-')[0]);
            return new StoredEvent
            {
                InboxId = inboxId, Seq = seq,
                Channel = f["ch"]!, Event = f["ev"]!, Data = f["data"]!,
                UserId = f.TryGetValue("user", out var user) ? user.ToString() : null,
                At = RedisStorage.FromTicks(f["at"]),
            };
        }).ToList();
    }

    private static InboxState StateFrom(string inboxId, Dictionary<string, RedisValue> f) => new()
    {
        InboxId = inboxId,
        Kind = Enum.Parse<ClientKind>(f["kind"]!),
        ClientId = f["client"]!,
        GameId = f["game"].IsNullOrEmpty ? null : f["game"].ToString(),
        NextSeq = (long)f["next"],
        AckedSeq = (long)f["acked"],
        DroppedThrough = (long)f["dropped"],
        FirstSeq = (long)f["first"],
        Subscriptions = JsonConvert.DeserializeObject<List<string>>(f["subs"]!) ?? [],
        CreatedAt = RedisStorage.FromTicks(f["created"]),
    };
}
