using Realtime.Relay.Clients;
using Realtime.Relay.Presence;

namespace Realtime.Relay.Cluster;

/// <summary>One reporter's last full roster, as any node received it (kept in Redis in a cluster, docs/cluster.md "Presence").</summary>
public sealed record RosterReport(string ReporterKey, ClientKind Kind, string ClientId, string? ClientGameId, string GameId,
    IReadOnlyList<PlayerReport> Players, DateTimeOffset ReportedAt)
{
    public RelayClient Client => new(Kind, ClientId, ClientGameId);

    public static string KeyOf(RelayClient client, string gameId) => client.InboxId + "@" + gameId;
}

/// <summary>
/// Which node holds a reporter's players (their Pusher connections). <see cref="PresenceRoster"/> asks on every report:
/// one node holds everything; in a cluster the report is kept for the others (so one can take over if this
/// holder dies) and applied here only if this node holds, or can take, the reporter's lease.
/// </summary>
public interface IPresenceHolding
{
    /// <summary>Keeps <paramref name="report"/> for the cluster; returns the reporter's previous roster, if any was kept.</summary>
    Task<RosterReport?> RecordAsync(RosterReport report);

    /// <summary>Whether this node holds (or has just taken) <paramref name="reporterKey"/>'s players.</summary>
    Task<bool> HoldAsync(string reporterKey);

    /// <summary>The reporter is gone (silent, session ended, plugin revoked): forget its roster and lease.</summary>
    Task ForgetAsync(string reporterKey);

    /// <summary>
    /// This node applied a report (or its seats' Pusher state changed): in a cluster the holder keeps them in Redis, so
    /// <c>GET /api/v1/games/{gameId}/players</c> answers the same on every node (docs/cluster.md, "Presence").
    /// </summary>
    Task SeatedAsync(ReporterSeats seats);
}

/// <summary>One relay holds every reporter's players and keeps nothing beyond its own memory: today's presence.</summary>
public sealed class SingleNodePresenceHolding : IPresenceHolding
{
    public Task<RosterReport?> RecordAsync(RosterReport report) => Task.FromResult<RosterReport?>(null);

    public Task<bool> HoldAsync(string reporterKey) => Task.FromResult(true);

    public Task ForgetAsync(string reporterKey) => Task.CompletedTask;

    public Task SeatedAsync(ReporterSeats seats) => Task.CompletedTask;
}
