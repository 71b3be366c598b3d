namespace Realtime.Relay.Games;

/// <summary>The storage seam for games and their server-key hashes (docs/storage.md). Each method is one atomic operation.</summary>
public interface IGameStore
{
    /// <summary>
    /// Adds the game; false when a game with this id exists ignoring case (ids compare exactly,
    /// but two ids that differ only in case would confuse the people who name them).
    /// </summary>
    Task<bool> TryAddAsync(GameRecord game);

    /// <summary>The game with exactly this id.</summary>
    Task<GameRecord?> FindAsync(string gameId);

    /// <summary>Every game, oldest first.</summary>
    Task<IReadOnlyList<GameRecord>> AllAsync();

    /// <summary>The games of exactly this owner, oldest first.</summary>
    Task<IReadOnlyList<GameRecord>> OwnedByAsync(string ownerId);

    /// <summary>Replaces the server key's hash; false when the game is gone.</summary>
    Task<bool> ReplaceKeyAsync(string gameId, string keyHash, DateTime rotatedAt);

    /// <summary>Forgets the game (its live sessions are ended by the caller, one by one); false when there was none.</summary>
    Task<bool> DeleteAsync(string gameId);
}
