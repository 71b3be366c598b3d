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
public sealed class GameCatalog(IGameStore store, IServerSessionStore sessions, GameService games, ClientActivity activity, IInboxStore inboxes,
    ILogger<GameCatalog> log)
{
    public const string DeletedReason = "game_deleted";

    /// <summary>One read per game for its sessions: <paramref name="ct"/> stops the rest once the caller has gone.</summary>
    public async Task<IReadOnlyList<GameView>> ListAsync(PlatformUser user, CancellationToken ct)
    {
        var views = new List<GameView>();
        foreach (var game in user.IsAdmin ? await store.AllAsync() : await store.OwnedByAsync(user.Id))
        {
            ct.ThrowIfCancellationRequested();
            views.Add(await ViewAsync(game));
        }
        return views;
    }

    public async Task<Outcome<GameView>> GetAsync(PlatformUser user, string gameId)
    {
        var (game, error) = await VisibleAsync(user, gameId);
        return game is null ? error! : await ViewAsync(game);
    }

    public async Task<ApiError?> DeleteAsync(PlatformUser user, string gameId)
    {
        var (game, error) = await VisibleAsync(user, gameId);
        if (game is null) return error;
        // The game first: from here its key fails (404), so no new session can start.
        await store.DeleteAsync(gameId);
        var ended = 0;
        // Twice: a registration that checked the key just before the delete may land meanwhile.
        for (var round = 0; round < 2; round++)
            foreach (var session in await sessions.OfGameAsync(gameId))
                if (await games.EndAsync(session.ToClient(), DeletedReason)) ended++;
        log.LogInformation("Game {GameId} deleted by user {UserId}; {Count} live session(s) ended", gameId, user.Id, ended);
        return null;
    }

    /// <summary>The game if this user may see it; a game of someone else is 404 for an educator (its existence is not theirs to learn).</summary>
    private async Task<(GameRecord? Game, ApiError? Error)> VisibleAsync(PlatformUser user, string gameId)
    {
        var game = RequestRules.IsId(gameId) ? await store.FindAsync(gameId) : null;
        return game is null || (!user.IsAdmin && game.OwnerId != user.Id) ? (null, ApiError.NotFound($"No game '{gameId}'.")) : (game, null);
    }

    private async Task<GameView> ViewAsync(GameRecord game)
    {
        var views = new List<SessionView>();
        foreach (var s in await sessions.OfGameAsync(game.GameId))
            views.Add(new SessionView(s.JobId, s.PlaceId, s.StartedAt, LastSeen(s), (await inboxes.StateOfAsync(s.Id))?.Depth() ?? 0));
        return new(game.GameId, game.Name, game.OwnerId, game.CreatedAt, game.KeyRotatedAt, "presence-game-" + game.GameId, views);
    }

    private DateTimeOffset LastSeen(SessionRecord s)
    {
        var stored = new DateTimeOffset(s.LastSeenAt, TimeSpan.Zero);
        return activity.LastSeen(s.Id) is { } recent && recent > stored ? recent : stored;
    }
}
