using Realtime.Relay.Clients;
using Realtime.Relay.Identity;
using Realtime.Relay.Inbox;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Pairing;

namespace Realtime.Relay.Games;

/// <summary>One live game server as the console lists it.</summary>
public sealed record SessionView(string ServerId, long PlaceId, DateTime StartedAt, DateTimeOffset LastSeenAt, long InboxDepth);

/// <summary>A game with its live servers (never its key: that is shown only at creation and rotation).</summary>
public sealed record GameView(string GameId, string Name, string OwnerId, DateTime CreatedAt, DateTime? KeyRotatedAt,
    string PresenceChannel, IReadOnlyList<SessionView> Sessions);

/// <summary><c>GET /api/v1/games</c>.</summary>
public sealed record GameList(IReadOnlyList<GameView> Games);

/// <summary>
/// Listing, reading and deleting games for their owners (educators) and admins. Deleting ends
/// every live session (tokens revoked, inboxes closed with reason <c>game_deleted</c>, players
/// leave presence) and the server key stops working, because the game it belongs to is gone.
/// </summary>
public sealed class GameCatalog(GameStore store, GameService games, ClientActivity activity, InboxStore inboxes,
    ILogger<GameCatalog> log)
{
    public const string DeletedReason = "game_deleted";

    public IReadOnlyList<GameView> List(PlatformUser user) =>
        (user.IsAdmin ? store.AllGames() : store.GamesOwnedBy(user.Id)).Select(View).ToList();

    public Outcome<GameView> Get(PlatformUser user, string gameId)
    {
        var game = Visible(user, gameId, out var error);
        return game is null ? error! : View(game);
    }

    public async Task<ApiError?> DeleteAsync(PlatformUser user, string gameId)
    {
        var game = Visible(user, gameId, out var error);
        if (game is null) return error;
        // The game first: from here its key fails (404), so no new session can start.
        store.DeleteGame(gameId);
        var ended = 0;
        // Twice: a registration that checked the key just before the delete may land meanwhile.
        for (var round = 0; round < 2; round++)
            foreach (var session in store.SessionsOf(gameId))
                if (await games.EndAsync(session.ToClient(), DeletedReason)) ended++;
        log.LogInformation("Game {GameId} deleted by user {UserId}; {Count} live session(s) ended", gameId, user.Id, ended);
        return null;
    }

    /// <summary>The game if this user may see it; a game of someone else is 404 for an educator (its existence is not theirs to learn).</summary>
    private GameRecord? Visible(PlatformUser user, string gameId, out ApiError? error)
    {
        var game = RequestRules.IsId(gameId) ? store.FindGame(gameId) : null;
        error = game is null || (!user.IsAdmin && game.OwnerId != user.Id) ? ApiError.NotFound($"No game '{gameId}'.") : null;
        return error is null ? game : null;
    }

    private GameView View(GameRecord game) => new(game.GameId, game.Name, game.OwnerId, game.CreatedAt, game.KeyRotatedAt,
        "presence-game-" + game.GameId,
        store.SessionsOf(game.GameId).Select(s => new SessionView(s.JobId, s.PlaceId, s.StartedAt,
            LastSeen(s), inboxes.StateOf(s.Id)?.Depth() ?? 0)).ToList());

    private DateTimeOffset LastSeen(SessionRecord s)
    {
        var stored = new DateTimeOffset(s.LastSeenAt, TimeSpan.Zero);
        return activity.LastSeen(s.Id) is { } recent && recent > stored ? recent : stored;
    }
}
