namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// Lua shared by the Redis stores' scripts, so an operation that spans aggregates (registering a
/// session, exchanging a pairing, removing a plugin, completing the outbox) is one script: Redis
/// runs a script alone, so nobody sees it half done. Keys (docs/storage.md): <c>P</c> is the prefix,
/// given as KEYS[1].
/// </summary>
internal static class RedisScripts
{
    /// <summary>Inbox helpers: an inbox is the hash <c>P inbox:ID</c> (its state), the stream <c>P events:ID</c>
    /// (entry id <c>SEQ-1</c>), and membership in the set <c>P inboxes</c>.</summary>
    public const string Inbox = """
        local P = KEYS[1]
        local function open_inbox(id, kind, client, game, created)
          local k = P .. 'inbox:' .. id
          if redis.call('EXISTS', k) == 1 then return end
          redis.call('HSET', k, 'kind', kind, 'client', client, 'game', game, 'next', 1, 'acked', 0,
            'dropped', 0, 'first', 1, 'subs', '[]', 'created', created)
          redis.call('SADD', P .. 'inboxes', id)
        end
        local function close_inbox(id)
          if redis.call('DEL', P .. 'inbox:' .. id) == 0 then return end
          redis.call('DEL', P .. 'events:' .. id)
          redis.call('SREM', P .. 'inboxes', id)
          redis.call('PUBLISH', P .. 'wakes', id)
        end
        -- forgets events up to 'through', noting a gap if any were unacknowledged
        local function drop(id, through)
          local k = P .. 'inbox:' .. id
          local first = tonumber(redis.call('HGET', k, 'first'))
          if through < first then return end
          redis.call('XTRIM', P .. 'events:' .. id, 'MINID', (through + 1) .. '-0')
          if through > tonumber(redis.call('HGET', k, 'acked')) and through > tonumber(redis.call('HGET', k, 'dropped')) then
            redis.call('HSET', k, 'dropped', through)
          end
          redis.call('HSET', k, 'first', through + 1)
        end
        local function append_one(id, ch, ev, data, user, at, max)
          local k = P .. 'inbox:' .. id
          if redis.call('EXISTS', k) == 0 then return false end
          local seq = redis.call('HINCRBY', k, 'next', 1) - 1
          if user == '' then
            redis.call('XADD', P .. 'events:' .. id, seq .. '-1', 'ch', ch, 'ev', ev, 'data', data, 'at', at)
          else
            redis.call('XADD', P .. 'events:' .. id, seq .. '-1', 'ch', ch, 'ev', ev, 'data', data, 'at', at, 'user', user)
          end
          local excess = (seq + 1) - tonumber(redis.call('HGET', k, 'first')) - max
          if excess > 0 then drop(id, tonumber(redis.call('HGET', k, 'first')) + excess - 1) end
          redis.call('PUBLISH', P .. 'wakes', id)
          return true
        end

        """;

    /// <summary>Token helpers: <c>P tokens</c> maps a token hash to its client (JSON), <c>P tokens-of:INBOX</c> holds a client's hashes.</summary>
    public const string Tokens = """
        local function add_token(hash, inbox, json)
          redis.call('HSET', P .. 'tokens', hash, json)
          redis.call('SADD', P .. 'tokens-of:' .. inbox, hash)
        end
        local function revoke_tokens(inbox)
          local hashes = redis.call('SMEMBERS', P .. 'tokens-of:' .. inbox)
          for _, h in ipairs(hashes) do redis.call('HDEL', P .. 'tokens', h) end
          redis.call('DEL', P .. 'tokens-of:' .. inbox)
          return #hashes
        end

        """;
}
