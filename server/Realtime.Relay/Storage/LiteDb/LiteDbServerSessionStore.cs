using LiteDB;
using Realtime.Relay.Games;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// The <c>server_sessions</c> collection. Registering and ending a session write the session,
/// its token hash and its inbox in one <see cref="StoreWriter"/> write, so one transaction.
/// The per-game limit is checked against a count of each game's live sessions kept next to the
/// collection (<see cref="LiveSessionsOf"/>), so a registration costs the same with one session
/// in its game or 20,000 (README, "Benchmarks").
/// </summary>
public sealed class LiteDbServerSessionStore : IServerSessionStore
{
    private readonly StoreWriter _writer;
    private readonly ILiteCollection<SessionRecord> _sessions;
    /// <summary>The same collection as documents: a touch changes one field, without the reflection mapper both ways.</summary>
    private readonly ILiteCollection<BsonDocument> _sessionDocs;
    private readonly LiteDbClientCredentialStore _credentials;
    private readonly LiteDbInboxStore _inboxes;

    /// <summary>
    /// Live sessions per game: read from the file (the game id index) the first time a write needs a
    /// game's count, then changed by the writes that add and end sessions. Only writes touch it, and
    /// the writer runs one group at a time, so no lock. A rolled-back write forgets its game's count
    /// (read from the file again next time); so does a reopened file.
    /// </summary>
    private readonly Dictionary<string, int> _liveByGame = new(StringComparer.Ordinal);

    public LiteDbServerSessionStore(RelayDatabase db, StoreWriter writer, LiteDbClientCredentialStore credentials, LiteDbInboxStore inboxes)
    {
        _writer = writer;
        _credentials = credentials;
        _inboxes = inboxes;
        _sessions = db.Collection<SessionRecord>("server_sessions");
        _sessionDocs = db.Database.GetCollection("server_sessions");
        _sessions.EnsureIndex(s => s.LastSeenAt);
        _sessions.EnsureIndex(s => s.GameId);
        writer.Recovered += _liveByGame.Clear; // raised by the writer, between groups
    }

    public Task<SessionRegistration> RegisterAsync(SessionRecord session, string tokenHash, int maxSessionsPerGame) =>
        _writer.WriteAsync(ctx =>
        {
            var existing = Find(session.Id);
            if (existing is null && LiveSessionsOf(session.GameId) >= maxSessionsPerGame) return SessionRegistration.TooManySessions;
            var client = session.ToClient();
            var replaced = _credentials.Revoke(ctx, client) > 0 || existing is not null;
            if (existing is null) CountSessions(ctx, session.GameId, +1);
            _sessions.Upsert(session);
            _credentials.Add(tokenHash, client, session.StartedAt);
            _inboxes.Open(ctx, client);
            return replaced ? SessionRegistration.Replaced : SessionRegistration.Started;
        });

    public Task<bool> EndAsync(string sessionId, DateTime? onlyIfSilentBefore = null) => _writer.WriteAsync(ctx =>
    {
        if (Find(sessionId) is not { } session) return false;
        if (onlyIfSilentBefore is { } cutoff && session.LastSeenAt >= cutoff) return false;
        CountSessions(ctx, session.GameId, -1);
        _sessions.Delete(sessionId);
        _credentials.Revoke(ctx, session.ToClient());
        _inboxes.Close(ctx, sessionId);
        return true;
    });

    public Task<SessionRecord?> FindAsync(string sessionId) => Task.FromResult(Find(sessionId));

    private SessionRecord? Find(string id) => _sessions.FindById(id) is { } s && s.Id == id ? s : null;

    /// <summary>Live sessions of exactly this game (ids compare exactly: the file's collation is binary).</summary>
    private int LiveSessionsOf(string gameId)
    {
        if (!_liveByGame.TryGetValue(gameId, out var live)) _liveByGame[gameId] = live = _sessions.Count(s => s.GameId == gameId);
        return live;
    }

    /// <summary>Before the write that adds or deletes the session: a first count reads the file as it was.</summary>
    private void CountSessions(WriteContext ctx, string gameId, int change)
    {
        _liveByGame[gameId] = LiveSessionsOf(gameId) + change;
        ctx.OnRolledBack(() => _liveByGame.Remove(gameId));
    }

    public Task<IReadOnlyList<SessionRecord>> OfGameAsync(string gameId) => Task.FromResult<IReadOnlyList<SessionRecord>>(
        _sessions.Find(s => s.GameId == gameId).Where(s => s.GameId == gameId).OrderBy(s => s.StartedAt).ToList());

    public Task<IReadOnlyList<SessionRecord>> SilentSinceAsync(DateTime cutoff) =>
        Task.FromResult<IReadOnlyList<SessionRecord>>(_sessions.Find(s => s.LastSeenAt < cutoff).ToList());

    public Task TouchAsync(IReadOnlyList<KeyValuePair<string, DateTimeOffset>> seen) => seen.Count == 0
        ? Task.CompletedTask
        : _writer.WriteAsync(_ =>
        {
            // Every live server is touched every sweep (20,000 every few seconds): one field, as a document.
            foreach (var (id, at) in seen)
            {
                if (_sessionDocs.FindById(id) is not { } session || session["_id"].AsString != id) continue;
                if (at.UtcDateTime <= UtcDates.Utc(session[nameof(SessionRecord.LastSeenAt)].AsDateTime)) continue;
                session[nameof(SessionRecord.LastSeenAt)] = at.UtcDateTime;
                _sessionDocs.Update(session);
            }
        });
}
