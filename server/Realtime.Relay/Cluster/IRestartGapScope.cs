namespace Realtime.Relay.Cluster;

/// <summary>
/// Which channels nobody heard while this node was down, so the restored inboxes on them need a
/// <c>relay:gap</c> (<c>relay_restarted</c>) at start (docs/cluster.md, "Restarts"). One relay heard
/// nothing while it was stopped; in a cluster the other live nodes may have heard them all along.
/// </summary>
public interface IRestartGapScope
{
    /// <summary>The subset of <paramref name="channels"/> whose events may have been missed while this node was down.</summary>
    Task<IReadOnlySet<string>> MissedWhileDownAsync(IReadOnlyCollection<string> channels);
}

/// <summary>One relay: nobody heard anything while it was stopped.</summary>
public sealed class SingleNodeRestartGapScope : IRestartGapScope
{
    public Task<IReadOnlySet<string>> MissedWhileDownAsync(IReadOnlyCollection<string> channels) =>
        Task.FromResult<IReadOnlySet<string>>(channels.ToHashSet(StringComparer.Ordinal));
}
