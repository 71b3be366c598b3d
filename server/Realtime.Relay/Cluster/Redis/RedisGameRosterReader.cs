using Realtime.Relay.Presence;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// <c>GET /api/v1/games/{gameId}/players</c> in a cluster (docs/cluster.md, "Presence"): the same answer on every node, from
/// the rosters kept in Redis (each reporter's last report younger than the silence window) and the seats their holders store.
/// A player the holder has not connected yet (the report is newer than its seats) shows as <c>joining</c>.
/// </summary>
public sealed class RedisGameRosterReader(IRosterStore rosters, PresenceOptions presence, TimeProvider clock) : IGameRosterReader
{
    public async Task<GameRoster> ReadAsync(string gameId)
    {
        var now = clock.GetUtcNow();
        var reports = (await rosters.AllAsync()).Where(r => r.GameId == gameId && now - r.ReportedAt < presence.Silence).ToList();
        var seats = await rosters.SeatsAsync(reports.Select(r => r.ReporterKey).ToList());
        var (players, servers) = GameRosters.Merge(reports.Select((r, i) => Rows(r, seats[i])));
        return new GameRoster(gameId, players, servers);
    }

    private static (PresenceServer, IEnumerable<PresencePlayer>) Rows(RosterReport report, ReporterSeats? seats)
    {
        var jobId = PresenceRoster.JobIdOf(report.Client);
        IReadOnlyList<PresencePlayer> players;
        if (seats is not null && seats.ReportedAt == report.ReportedAt) players = seats.Players;
        else
        {
            var known = seats?.Players.ToDictionary(p => p.UserId) ?? [];
            players = report.Players.Select(p =>
            {
                var id = p.Id!.Value;
                var seat = known.GetValueOrDefault(id);
                return new PresencePlayer(id, p.Name!, string.IsNullOrEmpty(p.DisplayName) ? p.Name! : p.DisplayName, jobId,
                    seat?.Since ?? report.ReportedAt, seat?.Pusher ?? GameRosters.Joining);
            }).ToList();
        }
        return (new PresenceServer(report.Client.KindName, jobId, players.Count, report.ReportedAt), players);
    }
}
