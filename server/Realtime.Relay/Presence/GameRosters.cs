namespace Realtime.Relay.Presence;

/// <summary>One player as the relay holds them: who, which server reported them, since when, and Pusher's view.</summary>
public sealed record PresencePlayer(long UserId, string Name, string DisplayName, string JobId, DateTimeOffset Since, string Pusher);

/// <summary>One reporter (game server or Studio session) of a game.</summary>
public sealed record PresenceServer(string Kind, string JobId, int Players, DateTimeOffset LastReport);

/// <summary>What a roster report changed.</summary>
public sealed record RosterChange(IReadOnlyList<long> Added, IReadOnlyList<long> Removed, IReadOnlyList<long> Updated, int Present);

/// <summary>The players a node holds for one reporter, from the report with time <paramref name="ReportedAt"/> (kept in Redis in a cluster).</summary>
public sealed record ReporterSeats(string ReporterKey, DateTimeOffset ReportedAt, IReadOnlyList<PresencePlayer> Players);

/// <summary>How a game's roster is put together, on one node or from Redis.</summary>
public static class GameRosters
{
    /// <summary>One row per user (the earliest report wins, as in Pusher), oldest first; servers by job id.</summary>
    public static (IReadOnlyList<PresencePlayer> Players, IReadOnlyList<PresenceServer> Servers) Merge(
        IEnumerable<(PresenceServer Server, IEnumerable<PresencePlayer> Players)> reporters)
    {
        var players = new List<PresencePlayer>();
        var servers = new List<PresenceServer>();
        foreach (var (server, held) in reporters)
        {
            servers.Add(server);
            players.AddRange(held);
        }
        var unique = players.GroupBy(p => p.UserId).Select(g => g.OrderBy(p => p.Since).First())
            .OrderBy(p => p.Since).ThenBy(p => p.UserId).ToList();
        return (unique, servers.OrderBy(s => s.JobId, StringComparer.Ordinal).ToList());
    }

    /// <summary>The <c>pusher</c> field: where a player's seat stands.</summary>
    public static string StateOf(IPresenceConnection c) => c.State switch
    {
        PresenceSeatState.Member => "member",
        PresenceSeatState.Refused => "refused: " + (c.Error ?? "unknown"),
        PresenceSeatState.Left => "left",
        _ => "joining",
    };

    /// <summary>What a player's <c>pusher</c> field says before its holder has written anything about it.</summary>
    public const string Joining = "joining";
}
