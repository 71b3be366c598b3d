namespace Realtime.Relay.Cluster;

/// <summary>
/// Which senders' outbox entries this node may publish now (docs/cluster.md, "Outbox"). Per sender,
/// acceptance order holds because only the holder of a sender's claim publishes its entries, oldest first,
/// and completes them before letting go; a dead holder's claim lapses and another node takes the sender on.
/// </summary>
public interface IOutboxClaims
{
    /// <summary>False for one node: every entry is its own and nothing is read twice.</summary>
    bool IsShared { get; }

    /// <summary>Claims what it can of <paramref name="senders"/>; the claim is kept (renewed) until disposed.</summary>
    Task<IOutboxClaim> ClaimAsync(IReadOnlyCollection<string> senders);
}

/// <summary>Senders claimed by this node; disposing lets them go.</summary>
public interface IOutboxClaim : IAsyncDisposable
{
    IReadOnlySet<string> Senders { get; }
}

/// <summary>One relay publishes every sender's entries: today's outbox, unchanged.</summary>
public sealed class SingleNodeOutboxClaims : IOutboxClaims
{
    public bool IsShared => false;

    public Task<IOutboxClaim> ClaimAsync(IReadOnlyCollection<string> senders) =>
        Task.FromResult<IOutboxClaim>(new Everything(senders.ToHashSet(StringComparer.Ordinal)));

    private sealed record Everything(IReadOnlySet<string> Senders) : IOutboxClaim
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
