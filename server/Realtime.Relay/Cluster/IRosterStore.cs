namespace Realtime.Relay.Cluster;

/// <summary>The last roster of every reporter, shared by the nodes so a surviving node can take a dead holder's players over.</summary>
public interface IRosterStore
{
    /// <summary>Stores <paramref name="report"/> and returns the reporter's previous one (one atomic operation).</summary>
    Task<RosterReport?> SaveAsync(RosterReport report);

    Task<RosterReport?> GetAsync(string reporterKey);

    Task<IReadOnlyList<RosterReport>> AllAsync();

    Task RemoveAsync(string reporterKey);
}
