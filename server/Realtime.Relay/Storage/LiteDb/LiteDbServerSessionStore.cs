using System.Collections.Concurrent;
using LiteDB;
using Microsoft.Extensions.Options;
using Realtime.Relay.Games;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// The <c>server_sessions</c> collection. Registering and ending a session write the session,
/// its token hash and its inbox in one <see cref="StoreWriter"/> write, so one transaction.
/// The per-game limit is checked against a count of each game's live sessions kept next to the
/// collection (<see cref="LiveSessionsOf"/>), so a registration costs the same with one session
/// in its game or 20,000 (docs/performance.md). A last-seen time is written only when the file's is at least
/// half a session timeout older; newer ones are kept in memory and every read here answers with the newer of the two
/// (docs/storage.md, "Last-seen times").
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

    /// <summary>The writer's thread only: each session's last-seen time as the file has it (known once written or read here).</summary>
    private readonly Dictionary<string, DateTime> _lastSeenInFile = new(StringComparer.Ordinal);
    /// <summary>
    /// Last-seen times newer than the file's, not written yet: set by touches, read by every read, dropped when a later
    /// touch writes the file or the session ends or registers again.
    /// </summary>
    private readonly ConcurrentDictionary<string, DateTime> _lastSeenInMemory = new(StringComparer.Ordinal);
    /// <summary>How much older than the newest touch the file's last-seen time may be before a touch writes it.</summary>
    private readonly TimeSpan _writeLastSeenAfter;

    public LiteDbServerSessionStore(RelayDatabase db, StoreWriter writer, LiteDbClientCredentialStore credentials, LiteDbInboxStore inboxes,
        IOptions<ServerSessionOptions> options)
    {
        _writeLastSeenAfter = options.Value.Timeout / 2;
        _writer = writer;
        _credentials = credentials;
        _inboxes = inboxes;
        _sessions = db.Collection<SessionRecord>("server_sessions");
        _sessionDocs = db.Database.GetCollection("server_sessions");
        _sessions.EnsureIndex(s => s.LastSeenAt);
        _sessions.EnsureIndex(s => s.GameId);
        writer.Recovered += () =>
        {
            // Raised by the writer, between groups: what the reopened file holds is read again.
            _liveByGame.Clear();
            _lastSeenInFile.Clear();
        };
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
            ctx.OnCommitted(() =>
            {
                _lastSeenInFile[session.Id] = session.LastSeenAt;
                _lastSeenInMemory.TryRemove(session.Id, out _);
            });
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
        ctx.OnCommitted(() =>
        {
            _lastSeenInFile.Remove(sessionId);
            _lastSeenInMemory.TryRemove(sessionId, out _);
        });
        return true;
    });

    public Task<SessionRecord?> FindAsync(string sessionId) => Task.FromResult(Find(sessionId));

    private SessionRecord? Find(string id) => _sessions.FindById(id) is { } s && s.Id == id ? WithLastSeen(s) : null;

    /// <summary>The session with its newest last-seen time: the file's, or a newer one not written yet.</summary>
    private SessionRecord WithLastSeen(SessionRecord session)
    {
        if (_lastSeenInMemory.TryGetValue(session.Id, out var seen) && seen > session.LastSeenAt) session.LastSeenAt = seen;
        return session;
    }

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
        _sessions.Find(s => s.GameId == gameId).Where(s => s.GameId == gameId).Select(WithLastSeen).OrderBy(s => s.StartedAt).ToList());

    /// <summary>The file's index finds the candidates; one seen since, by a touch not written yet, is not silent.</summary>
    public Task<IReadOnlyList<SessionRecord>> SilentSinceAsync(DateTime cutoff) => Task.FromResult<IReadOnlyList<SessionRecord>>(
        _sessions.Find(s => s.LastSeenAt < cutoff).Select(WithLastSeen).Where(s => s.LastSeenAt < cutoff).ToList());

    /// <summary>
    /// Every live server is touched every sweep (20,000 every few seconds). A time less than
    /// <see cref="_writeLastSeenAfter"/> after the file's is kept in memory only: the reads above answer with it, and
    /// after a restart nothing is ended for silence during the first timeout, in which every live server calls again.
    /// The others are written as one field of the document.
    /// </summary>
    public Task TouchAsync(IReadOnlyList<KeyValuePair<string, DateTimeOffset>> seen) => seen.Count == 0
        ? Task.CompletedTask
        : _writer.WriteAsync(ctx =>
        {
            foreach (var (id, at) in seen)
            {
                var when = at.UtcDateTime;
                if (_lastSeenInFile.TryGetValue(id, out var inFile))
                {
                    if (when <= inFile) continue;
                    if (when - inFile < _writeLastSeenAfter)
                    {
                        _lastSeenInMemory.AddOrUpdate(id, static (_, seen) => seen, static (_, known, seen) => known > seen ? known : seen, when);
                        continue;
                    }
                }
                if (_sessionDocs.FindById(id) is not { } session || session["_id"].AsString != id) continue;
                var stored = UtcDates.Utc(session[nameof(SessionRecord.LastSeenAt)].AsDateTime);
                if (when > stored)
                {
                    session[nameof(SessionRecord.LastSeenAt)] = when;
                    _sessionDocs.Update(session);
                    stored = when;
                }
                ctx.OnCommitted(() => InFile(id, stored));
            }
        });

    /// <summary>The file has <paramref name="lastSeen"/> for the session: a time in memory no newer is not needed any more.</summary>
    private void InFile(string id, DateTime lastSeen)
    {
        _lastSeenInFile[id] = lastSeen;
        if (_lastSeenInMemory.TryGetValue(id, out var seen) && seen <= lastSeen) _lastSeenInMemory.TryRemove(new KeyValuePair<string, DateTime>(id, seen));
    }
}
