using LiteDB;
using Realtime.Relay.Clients;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Games;

/// <summary>A game that game servers join with its server key (stored only as a hash).</summary>
public sealed class GameRecord
{
    private DateTime _createdAt;
    private DateTime? _keyRotatedAt;

    [BsonId] public string GameId { get; set; } = "";
    public string Name { get; set; } = "";
    public string OwnerId { get; set; } = "";
    /// <summary>SHA-256 of the server key (<see cref="ClientTokens.Hash"/>).</summary>
    public string KeyHash { get; set; } = "";
    public DateTime CreatedAt { get => _createdAt; set => _createdAt = UtcDates.Utc(value); }
    public DateTime? KeyRotatedAt { get => _keyRotatedAt; set => _keyRotatedAt = UtcDates.Utc(value); }
}

/// <summary>One live game server's session; the id is its inbox id (<c>server:&lt;gameId&gt;:&lt;jobId&gt;</c>).</summary>
public sealed class SessionRecord
{
    private DateTime _startedAt, _lastSeenAt;

    [BsonId] public string Id { get; set; } = "";
    public string GameId { get; set; } = "";
    public string JobId { get; set; } = "";
    public long PlaceId { get; set; }
    public DateTime StartedAt { get => _startedAt; set => _startedAt = UtcDates.Utc(value); }
    public DateTime LastSeenAt { get => _lastSeenAt; set => _lastSeenAt = UtcDates.Utc(value); }

    public RelayClient ToClient() => new(ClientKind.GameServer, JobId, GameId);
}

/// <summary>The <c>games</c> and <c>server_sessions</c> collections.</summary>
public sealed class GameStore
{
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<GameRecord> _games;
    private readonly ILiteCollection<SessionRecord> _sessions;

    public GameStore(RelayDatabase db)
    {
        _db = db.Database;
        _games = db.Collection<GameRecord>("games");
        _sessions = db.Collection<SessionRecord>("server_sessions");
        _sessions.EnsureIndex(s => s.LastSeenAt);
        _sessions.EnsureIndex(s => s.GameId);
    }

    /// <summary>
    /// False when a game with this id exists, ignoring case: ids compare exactly in the database,
    /// but two games whose ids differ only in case would confuse the people who name them.
    /// </summary>
    public bool TryAdd(GameRecord game)
    {
        var folded = game.GameId.ToLowerInvariant();
        if (_games.Query().Select(g => g.GameId).ToEnumerable().Any(id => id.ToLowerInvariant() == folded)) return false;
        try
        {
            _games.Insert(game);
            return true;
        }
        catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            return false;
        }
    }

    /// <summary>The game with exactly this id.</summary>
    public GameRecord? FindGame(string gameId) => _games.FindById(gameId) is { } g && g.GameId == gameId ? g : null;

    public void Update(GameRecord game) => _games.Update(game);

    public SessionRecord? FindSession(string id) => _sessions.FindById(id) is { } s && s.Id == id ? s : null;

    public void Upsert(SessionRecord session) => _sessions.Upsert(session);

    /// <summary>Live sessions of exactly this game.</summary>
    public int SessionCount(string gameId) => _sessions.Find(s => s.GameId == gameId).Count(s => s.GameId == gameId);

    public bool DeleteSession(string id) => FindSession(id) is not null && _sessions.Delete(id);

    public IReadOnlyList<SessionRecord> SilentSince(DateTime cutoff) => _sessions.Find(s => s.LastSeenAt < cutoff).ToList();

    public IReadOnlyList<GameRecord> AllGames() => _games.FindAll().OrderBy(g => g.CreatedAt).ToList();

    public IReadOnlyList<GameRecord> GamesOwnedBy(string ownerId) =>
        _games.Find(g => g.OwnerId == ownerId).Where(g => g.OwnerId == ownerId).OrderBy(g => g.CreatedAt).ToList();

    /// <summary>The game's live sessions (the index compares ignoring case; game ids do not).</summary>
    public IReadOnlyList<SessionRecord> SessionsOf(string gameId) =>
        _sessions.Find(s => s.GameId == gameId).Where(s => s.GameId == gameId).OrderBy(s => s.StartedAt).ToList();

    public bool DeleteGame(string gameId) => FindGame(gameId) is not null && _games.Delete(gameId);

    /// <summary>Writes last-seen times in one transaction (no await inside: LiteDB transactions belong to a thread).</summary>
    public void BumpLastSeen(IReadOnlyList<KeyValuePair<string, DateTimeOffset>> seen)
    {
        if (seen.Count == 0) return;
        var own = _db.BeginTrans();
        try
        {
            foreach (var (id, at) in seen)
            {
                if (FindSession(id) is not { } session || at.UtcDateTime <= session.LastSeenAt) continue;
                session.LastSeenAt = at.UtcDateTime;
                _sessions.Update(session);
            }
            if (own) _db.Commit();
        }
        catch
        {
            if (own) _db.Rollback();
            throw;
        }
    }
}
