using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Realtime.Relay.Clients;
using Realtime.Relay.Identity;
using Realtime.Relay.Inbox;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Pairing;

namespace Realtime.Relay.Games;

/// <summary>
/// Games, their server keys, and the sessions of live game servers. Session changes
/// (register, end, expire) are serialized by one async gate so an inbox is never closed
/// under a session that just re-registered; LiteDB calls inside hold no transaction across an await.
/// </summary>
public sealed class GameService
{
    private readonly GameStore _store;
    private readonly ClientCredentialStore _credentials;
    private readonly IInboxLifecycle _inboxes;
    private readonly ClientActivity _activity;
    private readonly TimeProvider _time;
    private readonly ServerSessionOptions _options;
    private readonly ILogger<GameService> _log;
    private readonly SemaphoreSlim _sessionsGate = new(1, 1);
    private readonly DateTimeOffset _startedAt;

    public GameService(GameStore store, ClientCredentialStore credentials, IInboxLifecycle inboxes, ClientActivity activity,
        TimeProvider time, IOptions<ServerSessionOptions> options, ILogger<GameService> log)
    {
        _store = store;
        _credentials = credentials;
        _inboxes = inboxes;
        _activity = activity;
        _time = time;
        _options = options.Value;
        _log = log;
        _startedAt = time.GetUtcNow();
    }

    public Outcome<GameKey> Create(PlatformUser user, CreateGameRequest request)
    {
        var key = ClientTokens.New(ClientTokens.ServerKeyPrefix);
        var game = new GameRecord
        {
            GameId = request.GameId!,
            Name = request.Name!.Trim(),
            OwnerId = user.Id,
            KeyHash = ClientTokens.Hash(key),
            CreatedAt = _time.GetUtcNow().UtcDateTime,
        };
        if (!_store.TryAdd(game))
            return ApiError.Conflict($"A game '{request.GameId}' already exists (game ids are unique ignoring case).");
        _log.LogInformation("Game {GameId} created by user {UserId}", game.GameId, user.Id);
        return new GameKey(game.GameId, key);
    }

    /// <summary>A new server key for the owner or an admin; the old one stops working at once. Running sessions keep their tokens.</summary>
    public Outcome<GameKey> RotateKey(PlatformUser user, string gameId)
    {
        var game = RequestRules.IsId(gameId) ? _store.FindGame(gameId) : null;
        if (game is null) return ApiError.NotFound($"No game '{gameId}'.");
        if (!user.IsAdmin && game.OwnerId != user.Id) return ApiError.Forbidden("Only the game's owner or an admin may rotate its key.");
        var key = ClientTokens.New(ClientTokens.ServerKeyPrefix);
        game.KeyHash = ClientTokens.Hash(key);
        game.KeyRotatedAt = _time.GetUtcNow().UtcDateTime;
        _store.Update(game);
        _log.LogInformation("Server key of game {GameId} rotated by user {UserId}", gameId, user.Id);
        return new GameKey(game.GameId, key);
    }

    /// <summary>The game when <paramref name="serverKey"/> is its current key: 404 for an unknown game, 401 for a wrong key.</summary>
    public Outcome<GameRecord> CheckServerKey(string gameId, string? serverKey)
    {
        var game = RequestRules.IsId(gameId) ? _store.FindGame(gameId) : null;
        if (game is null) return ApiError.NotFound($"No game '{gameId}'.");
        if (serverKey is null || !FixedTimeEquals(ClientTokens.Hash(serverKey), game.KeyHash))
            return ApiError.Unauthorized("The game's server key is required (Authorization: Bearer <serverKey>); it may have been rotated.");
        return game;
    }

    /// <summary>
    /// Starts a live server's session with its own inbox. Registering the same job id again
    /// replaces the previous session's token (the inbox stays open). A game with
    /// <see cref="ServerSessionOptions.MaxSessionsPerGame"/> live sessions gets 429 for a new one
    /// (Retry-After: the silence that ends a session), so one game key cannot open unlimited inboxes.
    /// </summary>
    public async Task<Outcome<ServerSession>> RegisterAsync(GameRecord game, RegisterServerRequest request, CancellationToken ct)
    {
        var client = new RelayClient(ClientKind.GameServer, request.JobId!, game.GameId);
        await _sessionsGate.WaitAsync(ct);
        try
        {
            var now = _time.GetUtcNow().UtcDateTime;
            if (_store.FindSession(client.InboxId) is null && _store.SessionCount(game.GameId) >= Math.Max(1, _options.MaxSessionsPerGame))
                return new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.TooManyServerSessions,
                    $"Game '{game.GameId}' already has {_options.MaxSessionsPerGame} live server sessions; end one (DELETE …/servers/{{jobId}}) or try again later.")
                    { RetryAfter = _options.Timeout };
            var replaced = _credentials.Revoke(client) > 0;
            _store.Upsert(new SessionRecord
            {
                Id = client.InboxId,
                GameId = game.GameId,
                JobId = client.Id,
                PlaceId = request.PlaceId!.Value,
                StartedAt = now,
                LastSeenAt = now,
            });
            var token = _credentials.Issue(client);
            _activity.Touch(client);
            await _inboxes.OpenAsync(client, ct);
            _log.LogInformation("Game server {JobId} of game {GameId} {Action}", client.Id, game.GameId, replaced ? "registered again" : "registered");
            return new ServerSession(token, client.Id);
        }
        finally
        {
            _sessionsGate.Release();
        }
    }

    /// <summary>Ends a session: its token stops working and its inbox closes with <paramref name="reason"/>. False if there was none.</summary>
    public async Task<bool> EndAsync(RelayClient client, string reason)
    {
        if (!RequestRules.IsId(client.Id) || !RequestRules.IsId(client.GameId)) return false;
        await _sessionsGate.WaitAsync();
        try
        {
            return await EndLockedAsync(client, reason);
        }
        finally
        {
            _sessionsGate.Release();
        }
    }

    private async Task<bool> EndLockedAsync(RelayClient client, string reason)
    {
        if (!_store.DeleteSession(client.InboxId)) return false;
        _credentials.Revoke(client);
        _activity.Forget(client);
        // Not a request's token: once the credential is gone the inbox must close even if a caller hangs up.
        await _inboxes.CloseAsync(client, reason, CancellationToken.None);
        _log.LogInformation("Game server {JobId} of game {GameId} ended ({Reason})", client.Id, client.GameId, reason);
        return true;
    }

    /// <summary>
    /// One round of the sweeper: writes pending last-seen times, then ends sessions silent for
    /// longer than the timeout. Nothing is ended during the first timeout after start-up, so
    /// servers that kept polling while the relay was down are not ended for the relay's absence.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        _store.BumpLastSeen(_activity.Drain());
        var now = _time.GetUtcNow();
        if (now - _startedAt < _options.Timeout) return 0;
        var cutoff = (now - _options.Timeout).UtcDateTime;
        var ended = 0;
        foreach (var candidate in _store.SilentSince(cutoff))
        {
            ct.ThrowIfCancellationRequested();
            await _sessionsGate.WaitAsync(ct);
            try
            {
                // Look again under the gate: it may have re-registered or called since the query.
                var session = _store.FindSession(candidate.Id);
                if (session is null || session.LastSeenAt >= cutoff) continue;
                if (_activity.PendingFor(session.Id) is { } touched && touched.UtcDateTime >= cutoff) continue;
                if (await EndLockedAsync(session.ToClient(), "ended")) ended++;
            }
            finally
            {
                _sessionsGate.Release();
            }
        }
        if (ended > 0) _log.LogInformation("Ended {Count} game-server session(s) silent for {Seconds} s", ended, _options.Timeout.TotalSeconds);
        return ended;
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
