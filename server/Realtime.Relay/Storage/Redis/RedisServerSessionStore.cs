using Realtime.Relay.Games;

namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// Game-server sessions in Redis: <c>P sessions</c> (id → JSON), <c>P session-game</c> (id → game
/// id), <c>P sessions-of:GAME</c> (a game's session ids, counted for the per-game limit) and
/// <c>P session-seen</c> (id → last seen, 19-digit ticks, which wins over the JSON's). Registering
/// and ending are one script each, with the token hashes and the inbox.
/// </summary>
public sealed class RedisServerSessionStore(RedisStorage redis) : IServerSessionStore
{
    // ARGV: id, game, json, seen, token hash, token json, limit, then open_inbox's five arguments.
    private const string RegisterScript = RedisScripts.Inbox + RedisScripts.Tokens + """
        local id, game = ARGV[1], ARGV[2]
        local existing = redis.call('HEXISTS', P .. 'sessions', id) == 1
        if not existing and redis.call('SCARD', P .. 'sessions-of:' .. game) >= tonumber(ARGV[7]) then return 2 end
        local revoked = revoke_tokens(id)
        redis.call('HSET', P .. 'sessions', id, ARGV[3])
        redis.call('HSET', P .. 'session-game', id, game)
        redis.call('HSET', P .. 'session-seen', id, ARGV[4])
        redis.call('SADD', P .. 'sessions-of:' .. game, id)
        add_token(ARGV[5], id, ARGV[6])
        open_inbox(ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12])
        if existing or revoked > 0 then return 1 end
        return 0
        """;

    // ARGV: id, cutoff ('' = end whatever the last-seen time)
    private const string EndScript = RedisScripts.Inbox + RedisScripts.Tokens + """
        local id = ARGV[1]
        local game = redis.call('HGET', P .. 'session-game', id)
        if not game then return 0 end
        if ARGV[2] ~= '' and redis.call('HGET', P .. 'session-seen', id) >= ARGV[2] then return 0 end
        redis.call('HDEL', P .. 'sessions', id)
        redis.call('HDEL', P .. 'session-game', id)
        redis.call('HDEL', P .. 'session-seen', id)
        redis.call('SREM', P .. 'sessions-of:' .. game, id)
        revoke_tokens(id)
        close_inbox(id)
        return 1
        """;

    private const string TouchScript = """
        local P = KEYS[1]
        for i = 1, #ARGV, 2 do
          local seen = redis.call('HGET', P .. 'session-seen', ARGV[i])
          if seen and ARGV[i + 1] > seen then redis.call('HSET', P .. 'session-seen', ARGV[i], ARGV[i + 1]) end
        end
        return 1
        """;

    public async Task<SessionRegistration> RegisterAsync(SessionRecord session, string tokenHash, int maxSessionsPerGame)
    {
        var client = session.ToClient();
        var result = (int)await redis.ScriptAsync(RegisterScript,
        [
            session.Id, session.GameId, RedisStorage.ToJson(session), RedisStorage.Ticks(session.LastSeenAt), tokenHash,
            RedisClientCredentialStore.Json(client, session.StartedAt), maxSessionsPerGame,
            .. RedisInboxStore.OpenArgs(client, session.StartedAt),
        ]);
        return result switch { 0 => SessionRegistration.Started, 1 => SessionRegistration.Replaced, _ => SessionRegistration.TooManySessions };
    }

    public async Task<bool> EndAsync(string sessionId, DateTime? onlyIfSilentBefore = null) =>
        (int)await redis.ScriptAsync(EndScript, sessionId, onlyIfSilentBefore is { } cutoff ? RedisStorage.Ticks(cutoff) : "") == 1;

    public async Task<SessionRecord?> FindAsync(string sessionId) => (await LoadAsync([sessionId])).FirstOrDefault();

    public async Task<IReadOnlyList<SessionRecord>> OfGameAsync(string gameId)
    {
        var ids = await redis.RunAsync(db => db.SetMembersAsync(redis.Key("sessions-of:" + gameId)));
        return (await LoadAsync(ids.Select(id => id.ToString()).ToArray())).OrderBy(s => s.StartedAt).ToList();
    }

    public async Task<IReadOnlyList<SessionRecord>> SilentSinceAsync(DateTime cutoff)
    {
        var seen = await redis.RunAsync(db => db.HashGetAllAsync(redis.Key("session-seen")));
        var silent = seen.Where(s => RedisStorage.FromTicks(s.Value) < cutoff).Select(s => s.Name.ToString()).ToArray();
        return await LoadAsync(silent);
    }

    public Task TouchAsync(IReadOnlyList<KeyValuePair<string, DateTimeOffset>> seen) => seen.Count == 0
        ? Task.CompletedTask
        : redis.ScriptAsync(TouchScript, [.. seen.SelectMany(s => new StackExchange.Redis.RedisValue[] { s.Key, RedisStorage.Ticks(s.Value.UtcDateTime) })]);

    /// <summary>The sessions with these ids that exist, each with its last-seen time.</summary>
    private async Task<List<SessionRecord>> LoadAsync(string[] ids)
    {
        if (ids.Length == 0) return [];
        var keys = ids.Select(id => (StackExchange.Redis.RedisValue)id).ToArray();
        var texts = await redis.RunAsync(db => db.HashGetAsync(redis.Key("sessions"), keys));
        var seen = await redis.RunAsync(db => db.HashGetAsync(redis.Key("session-seen"), keys));
        var sessions = new List<SessionRecord>();
        for (var i = 0; i < ids.Length; i++)
        {
            if (texts[i].IsNull) continue;
            var session = RedisStorage.FromJson<SessionRecord>(texts[i]);
            if (!seen[i].IsNull) session.LastSeenAt = RedisStorage.FromTicks(seen[i]);
            sessions.Add(session);
        }
        return sessions;
    }
}
