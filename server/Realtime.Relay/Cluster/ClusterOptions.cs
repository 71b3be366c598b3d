namespace Realtime.Relay.Cluster;

/// <summary>
/// Lease timings of the cluster coordination (configuration section "Cluster"; docs/cluster.md).
/// A lease lives <see cref="LeaseSeconds"/> and is renewed every <see cref="RenewSeconds"/>, so a
/// dead node's channels are free after at most one lease and taken at the next renewal round.
/// </summary>
public sealed record ClusterOptions : Configuration.ICheckedSettings
{
    public const string Section = "Cluster";

    /// <summary>How long a heartbeat, a channel lease or an outbox claim outlives its last renewal.</summary>
    public double LeaseSeconds { get; init; } = 6;

    /// <summary>How often leases are renewed and free or offered channels looked for.</summary>
    public double RenewSeconds { get; init; } = 2;

    /// <summary>How long a presence session's holder may be silent before another node takes its players over.</summary>
    public double PresenceLeaseSeconds { get; init; } = 15;

    /// <summary>
    /// On a clean stop, how long a node offers its channels to the others before it releases what they did not take
    /// (docs/cluster.md, "A clean stop"); 0 releases at once. Three rounds at the default timings.
    /// </summary>
    public double StopHandOverSeconds { get; init; } = 6;

    /// <summary>How long a clean stop waits for other nodes to take its presence reporters before it lets the rest go.</summary>
    public double PresenceHandOverSeconds { get; init; } = 10;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);
    public TimeSpan StopHandOver => TimeSpan.FromSeconds(StopHandOverSeconds);
    public TimeSpan Renew => TimeSpan.FromSeconds(RenewSeconds);
    public TimeSpan PresenceLease => TimeSpan.FromSeconds(PresenceLeaseSeconds);
    public TimeSpan PresenceHandOver => TimeSpan.FromSeconds(PresenceHandOverSeconds);

    /// <summary>How long the two subscribers of a channel in hand-over dedupe what they hear.</summary>
    public TimeSpan HandOverWindow => Renew * 3;

    public IEnumerable<string> Problems()
    {
        if (RenewSeconds <= 0) yield return $"Cluster__RenewSeconds must be positive, not {RenewSeconds}.";
        if (LeaseSeconds < RenewSeconds * 2)
            yield return $"Cluster__LeaseSeconds ({LeaseSeconds}) must be at least twice Cluster__RenewSeconds ({RenewSeconds}), or a busy node loses its leases.";
        if (StopHandOverSeconds < 0) yield return $"Cluster__StopHandOverSeconds must be 0 or more, not {StopHandOverSeconds}.";
        if (PresenceLeaseSeconds < RenewSeconds * 2)
            yield return $"Cluster__PresenceLeaseSeconds ({PresenceLeaseSeconds}) must be at least twice Cluster__RenewSeconds ({RenewSeconds}).";
        if (PresenceHandOverSeconds is < 0 or > 25)
            yield return $"Cluster__PresenceHandOverSeconds must be 0-25 (inside the host's 30 s stop), not {PresenceHandOverSeconds}.";
        // The two hand-overs of a clean stop run one after the other, inside the host's 30 s stop.
        if (StopHandOverSeconds + PresenceHandOverSeconds > 25)
            yield return $"Cluster__StopHandOverSeconds + Cluster__PresenceHandOverSeconds must be 25 or less (inside the host's 30 s stop), not {StopHandOverSeconds + PresenceHandOverSeconds}.";
    }
}
