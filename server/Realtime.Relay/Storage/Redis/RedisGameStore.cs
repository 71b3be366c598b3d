using Realtime.Relay.Games;

namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// Games in Redis: the hash <c>P games</c> (id → JSON) and the hash <c>P game-ids</c> (id in lower
/// case → id), whose HSETNX makes ids unique ignoring case inside the adding script.
/// </summary>
public sealed class RedisGameStore(RedisStorage redis) : IGameStore
{
    private const string AddScript = """
        local P = KEYS[1]
        if redis.call('HSETNX', P .. 'game-ids', ARGV[1], ARGV[2]) == 0 then return 0 end
        redis.call('HSET', P .. 'games', ARGV[2], ARGV[3])
        return 1
        """;

    private const string ReplaceScript = """
        local P = KEYS[1]
        if redis.call('HEXISTS', P .. 'games', ARGV[1]) == 0 then return 0 end
        redis.call('HSET', P .. 'games', ARGV[1], ARGV[2])
        return 1
        """;

    private const string DeleteScript = """
        local P = KEYS[1]
        if redis.call('HDEL', P .. 'games', ARGV[2]) == 0 then return 0 end
        redis.call('HDEL', P .. 'game-ids', ARGV[1])
        return 1
        """;

    public async Task<bool> TryAddAsync(GameRecord game) =>
        (int)await redis.ScriptAsync(AddScript, game.GameId.ToLowerInvariant(), game.GameId, RedisStorage.ToJson(game)) == 1;

    public async Task<GameRecord?> FindAsync(string gameId)
    {
        var text = await redis.RunAsync(db => db.HashGetAsync(redis.Key("games"), gameId));
        return text.IsNull ? null : RedisStorage.FromJson<GameRecord>(text);
    }

    public async Task<IReadOnlyList<GameRecord>> AllAsync() =>
        (await redis.RunAsync(db => db.HashValuesAsync(redis.Key("games")))).Select(RedisStorage.FromJson<GameRecord>).OrderBy(g => g.CreatedAt).ToList();

    public async Task<IReadOnlyList<GameRecord>> OwnedByAsync(string ownerId) =>
        (await AllAsync()).Where(g => g.OwnerId == ownerId).ToList();

    /// <summary>Only the key changes a stored game, so the rest of it read here is what the script writes back.</summary>
    public async Task<bool> ReplaceKeyAsync(string gameId, string keyHash, DateTime rotatedAt)
    {
        if (await FindAsync(gameId) is not { } game) return false;
        game.KeyHash = keyHash;
        game.KeyRotatedAt = rotatedAt;
        return (int)await redis.ScriptAsync(ReplaceScript, gameId, RedisStorage.ToJson(game)) == 1;
    }

    public async Task<bool> DeleteAsync(string gameId) =>
        (int)await redis.ScriptAsync(DeleteScript, gameId.ToLowerInvariant(), gameId) == 1;
}
