namespace Realtime.Relay.Presence;

/// <summary><c>GET /api/v1/games/{gameId}/players</c>'s answer, from this node's holdings or (in a cluster) from Redis.</summary>
public interface IGameRosterReader
{
    Task<GameRoster> ReadAsync(string gameId);
}

/// <summary>One relay: every player of the game is held here.</summary>
public sealed class LocalGameRosterReader(PresenceRoster roster) : IGameRosterReader
{
    public Task<GameRoster> ReadAsync(string gameId)
    {
        var (players, servers) = roster.Snapshot(gameId);
        return Task.FromResult(new GameRoster(gameId, players, servers));
    }
}
