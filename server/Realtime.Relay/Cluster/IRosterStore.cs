using Realtime.Relay.Presence;

namespace Realtime.Relay.Cluster;

/// <summary>The last roster of every reporter, shared by the nodes so a surviving node can take a dead holder's players over.</summary>
public interface IRosterStore
{
    /// <summary>Stores <paramref name="report"/> and returns the reporter's previous one (one atomic operation).</summary>
    Task<RosterReport?> SaveAsync(RosterReport report);

    Task<RosterReport?> GetAsync(string reporterKey);

    Task<IReadOnlyList<RosterReport>> AllAsync();

    /// <summary>Removes the reporter's roster and its seats.</summary>
    Task RemoveAsync(string reporterKey);

    /// <summary>Stores the seats <paramref name="node"/> holds for a reporter, only if it holds the reporter's lease; returns whether it did.</summary>
    Task<bool> SaveSeatsAsync(ReporterSeats seats, string node);

    /// <summary>The seats last stored for each of <paramref name="reporterKeys"/> (null where none), in one round trip.</summary>
    Task<IReadOnlyList<ReporterSeats?>> SeatsAsync(IReadOnlyList<string> reporterKeys);
}
