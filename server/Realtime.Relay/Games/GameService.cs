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
/// Games, their server keys, and the sessions of live game servers. Registering and ending a
/// session are each one atomic storage operation (<see cref="IServerSessionStore"/>): the
/// session, its token and its inbox change together, so no gate is held across them.
/// </summary>
public sealed class GameService
{
    private readonly IGameStore _games;
    private readonly IServerSessionStore _sessions;
    private readonly IInboxLifecycle _inboxes;
    private readonly ClientActivity _activity;
    private readonly TimeProvider _time;
    private readonly ServerSessionOptions _options;
    private readonly ILogger<GameService> _log;
    private readonly DateTimeOffset _startedAt;

    public GameService(IGameStore games, IServerSessionStore sessions, IInboxLifecycle inboxes, ClientActivity activity,
        TimeProvider time, IOptions<ServerSessionOptions> options, ILogger<GameService> log)
    {
        _games = games;
        _sessions = sessions;
        _inboxes = inboxes;
        _activity = activity;
        _time = time;
        _options = options.Value;
        _log = log;
        _startedAt = time.GetUtcNow();
    }

    public async Task<Outcome<GameKey>> CreateAsync(PlatformUser user, CreateGameRequest request)
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
        if (!await _games.TryAddAsync(game))
            return ApiError.Conflict($"A game '{request.GameId}' already exists (game ids are unique ignoring case).");
        _log.LogInformation("Game {GameId} created by user {UserId}", game.GameId, user.Id);
        return new GameKey(game.GameId, key);
    }

    /// <summary>A new server key for the owner or an admin; the old one stops working at once. Running sessions keep their tokens.</summary>
    public async Task<Outcome<GameKey>> RotateKeyAsync(PlatformUser user, string gameId)
    {
        var game = RequestRules.IsId(gameId) ? await _games.FindAsync(gameId) : null;
        if (game is null) return ApiError.NotFound($"No game '{gameId}'.");
        if (!user.IsAdmin && game.OwnerId != user.Id) return ApiError.Forbidden("Only the game's owner or an admin may rotate its key.");
        var key = ClientTokens.New(ClientTokens.ServerKeyPrefix);
        if (!await _games.ReplaceKeyAsync(gameId, ClientTokens.Hash(key), _time.GetUtcNow().UtcDateTime))
            return ApiError.NotFound($"No game '{gameId}'.");
        _log.LogInformation("Server key of game {GameId} rotated by user {UserId}", gameId, user.Id);
        return new GameKey(game.GameId, key);
    }

    /// <summary>The game when <paramref name="serverKey"/> is its current key: 404 for an unknown game, 401 for a wrong key.</summary>
    public async Task<Outcome<GameRecord>> CheckServerKeyAsync(string gameId, string? serverKey)
    {
        var game = RequestRules.IsId(gameId) ? await _games.FindAsync(gameId) : null;
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
        var now = _time.GetUtcNow().UtcDateTime;
        var token = ClientTokens.New(ClientTokens.ServerSessionPrefix);
        var session = new SessionRecord
        {
            Id = client.InboxId,
            GameId = game.GameId,
            JobId = client.Id,
            PlaceId = request.PlaceId!.Value,
            StartedAt = now,
            LastSeenAt = now,
        };
        var registration = await _sessions.RegisterAsync(session, ClientTokens.Hash(token), Math.Max(1, _options.MaxSessionsPerGame));
        if (registration == SessionRegistration.TooManySessions)
            return new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.TooManyServerSessions,
                $"Game '{game.GameId}' already has {_options.MaxSessionsPerGame} live server sessions; end one (DELETE …/servers/{{jobId}}) or try again later.")
                { RetryAfter = _options.Timeout };
        _activity.Touch(client);
        _inboxes.Opened(client);
        _log.LogInformation("Game server {JobId} of game {GameId} {Action}", client.Id, game.GameId,
            registration == SessionRegistration.Replaced ? "registered again" : "registered");
        return new ServerSession(token, client.Id);
    }

    /// <summary>Ends a session: its token stops working and its inbox closes with <paramref name="reason"/>. False if there was none.</summary>
    public Task<bool> EndAsync(RelayClient client, string reason) =>
        !RequestRules.IsId(client.Id) || !RequestRules.IsId(client.GameId) ? Task.FromResult(false) : EndAsync(client, reason, null);

    private async Task<bool> EndAsync(RelayClient client, string reason, DateTime? onlyIfSilentBefore)
    {
        if (!await _sessions.EndAsync(client.InboxId, onlyIfSilentBefore)) return false;
        _activity.Forget(client);
        await _inboxes.ClosedAsync(client, reason);
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
        await _sessions.TouchAsync(_activity.Drain());
        var now = _time.GetUtcNow();
        if (now - _startedAt < _options.Timeout) return 0;
        var cutoff = (now - _options.Timeout).UtcDateTime;
        var ended = 0;
        foreach (var session in await _sessions.SilentSinceAsync(cutoff))
        {
            ct.ThrowIfCancellationRequested();
            if (_activity.PendingFor(session.Id) is { } touched && touched.UtcDateTime >= cutoff) continue;
            // The store looks again as it ends it: a session that re-registered or called since the query stays.
            if (await EndAsync(session.ToClient(), "ended", onlyIfSilentBefore: cutoff)) ended++;
        }
        if (ended > 0) _log.LogInformation("Ended {Count} game-server session(s) silent for {Seconds} s", ended, _options.Timeout.TotalSeconds);
        return ended;
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
