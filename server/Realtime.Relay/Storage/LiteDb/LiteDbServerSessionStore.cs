using LiteDB;
using Realtime.Relay.Games;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// The <c>server_sessions</c> collection. Registering and ending a session write the session,
/// its token hash and its inbox in one <see cref="StoreWriter"/> write, so one transaction.
/// </summary>
public sealed class LiteDbServerSessionStore : IServerSessionStore
{
    private readonly StoreWriter _writer;
    private readonly ILiteCollection<SessionRecord> _sessions;
    private readonly LiteDbClientCredentialStore _credentials;
    private readonly LiteDbInboxStore _inboxes;

    public LiteDbServerSessionStore(RelayDatabase db, StoreWriter writer, LiteDbClientCredentialStore credentials, LiteDbInboxStore inboxes)
    {
        _writer = writer;
        _credentials = credentials;
        _inboxes = inboxes;
        _sessions = db.Collection<SessionRecord>("server_sessions");
        _sessions.EnsureIndex(s => s.LastSeenAt);
        _sessions.EnsureIndex(s => s.GameId);
    }

    public Task<SessionRegistration> RegisterAsync(SessionRecord session, string tokenHash, int maxSessionsPerGame) =>
        _writer.WriteAsync(ctx =>
        {
            var existing = Find(session.Id);
            if (existing is null && CountOf(session.GameId) >= maxSessionsPerGame) return SessionRegistration.TooManySessions;
            var client = session.ToClient();
            var replaced = _credentials.Revoke(ctx, client) > 0 || existing is not null;
            _sessions.Upsert(session);
            _credentials.Add(tokenHash, client, session.StartedAt);
            _inboxes.Open(ctx, client);
            return replaced ? SessionRegistration.Replaced : SessionRegistration.Started;
        });

    public Task<bool> EndAsync(string sessionId, DateTime? onlyIfSilentBefore = null) => _writer.WriteAsync(ctx =>
    {
        if (Find(sessionId) is not { } session) return false;
        if (onlyIfSilentBefore is { } cutoff && session.LastSeenAt >= cutoff) return false;
        _sessions.Delete(sessionId);
        _credentials.Revoke(ctx, session.ToClient());
        _inboxes.Close(ctx, sessionId);
        return true;
    });

    public Task<SessionRecord?> FindAsync(string sessionId) => Task.FromResult(Find(sessionId));

    private SessionRecord? Find(string id) => _sessions.FindById(id) is { } s && s.Id == id ? s : null;

    /// <summary>Live sessions of exactly this game (the index compares ignoring case; game ids do not).</summary>
    private int CountOf(string gameId) => _sessions.Find(s => s.GameId == gameId).Count(s => s.GameId == gameId);

    public Task<IReadOnlyList<SessionRecord>> OfGameAsync(string gameId) => Task.FromResult<IReadOnlyList<SessionRecord>>(
        _sessions.Find(s => s.GameId == gameId).Where(s => s.GameId == gameId).OrderBy(s => s.StartedAt).ToList());

    public Task<IReadOnlyList<SessionRecord>> SilentSinceAsync(DateTime cutoff) =>
        Task.FromResult<IReadOnlyList<SessionRecord>>(_sessions.Find(s => s.LastSeenAt < cutoff).ToList());

    public Task TouchAsync(IReadOnlyList<KeyValuePair<string, DateTimeOffset>> seen) => seen.Count == 0
        ? Task.CompletedTask
        : _writer.WriteAsync(_ =>
        {
            foreach (var (id, at) in seen)
            {
                if (Find(id) is not { } session || at.UtcDateTime <= session.LastSeenAt) continue;
                session.LastSeenAt = at.UtcDateTime;
                _sessions.Update(session);
            }
        });
}
