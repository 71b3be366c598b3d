namespace Realtime.Relay.Presence;

/// <summary><c>PUT P/players</c>: who is present now and what changed; report again within <c>reportWithinSeconds</c>.</summary>
public sealed record RosterReported(string GameId, string JobId, int Present, IReadOnlyList<long> Added, IReadOnlyList<long> Removed,
    IReadOnlyList<long> Updated, int ReportWithinSeconds);

/// <summary><c>GET /api/v1/games/{gameId}/players</c>: the game's presence members and the servers reporting them.</summary>
public sealed record GameRoster(string GameId, IReadOnlyList<PresencePlayer> Players, IReadOnlyList<PresenceServer> Servers);
