using LiteDB;
using Realtime.Relay.Games;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>The <c>games</c> collection: reads are direct, every change goes through the <see cref="StoreWriter"/>.</summary>
public sealed class LiteDbGameStore : IGameStore
{
    private readonly StoreWriter _writer;
    private readonly ILiteCollection<GameRecord> _games;

    public LiteDbGameStore(RelayDatabase db, StoreWriter writer)
    {
        _writer = writer;
        _games = db.Collection<GameRecord>("games");
    }

    public Task<bool> TryAddAsync(GameRecord game) => _writer.WriteAsync(_ =>
    {
        var folded = game.GameId.ToLowerInvariant();
        if (_games.Query().Select(g => g.GameId).ToEnumerable().Any(id => id.ToLowerInvariant() == folded)) return false;
        _games.Insert(game);
        return true;
    });

    public Task<GameRecord?> FindAsync(string gameId) => Task.FromResult(Find(gameId));

    /// <summary>The game with exactly this id (the database compares exactly; the check stays for safety).</summary>
    internal GameRecord? Find(string gameId) => _games.FindById(gameId) is { } g && g.GameId == gameId ? g : null;

    public Task<IReadOnlyList<GameRecord>> AllAsync() =>
        Task.FromResult<IReadOnlyList<GameRecord>>(_games.FindAll().OrderBy(g => g.CreatedAt).ToList());

    public Task<IReadOnlyList<GameRecord>> OwnedByAsync(string ownerId) => Task.FromResult<IReadOnlyList<GameRecord>>(
        _games.Find(g => g.OwnerId == ownerId).Where(g => g.OwnerId == ownerId).OrderBy(g => g.CreatedAt).ToList());

    public Task<bool> ReplaceKeyAsync(string gameId, string keyHash, DateTime rotatedAt) => _writer.WriteAsync(_ =>
    {
        if (Find(gameId) is not { } game) return false;
        game.KeyHash = keyHash;
        game.KeyRotatedAt = rotatedAt;
        return _games.Update(game);
    });

    public Task<bool> DeleteAsync(string gameId) => _writer.WriteAsync(_ => Find(gameId) is not null && _games.Delete(gameId));
}
