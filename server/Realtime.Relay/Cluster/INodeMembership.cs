namespace Realtime.Relay.Cluster;

/// <summary>
/// Which relay nodes are alive: each node keeps a heartbeat with a time-to-live, and a node whose
/// heartbeat lapsed is gone (docs/cluster.md). The coordinators size their share of the work by it.
/// </summary>
public interface INodeMembership
{
    string NodeId { get; }

    /// <summary>The live nodes, this one included, in a stable order.</summary>
    Task<IReadOnlyList<string>> LiveNodesAsync();

    /// <summary>A clean stop begins: this node stops beating and leaves, so the others size their shares without it.</summary>
    Task LeaveAsync();
}

/// <summary>One relay: it is the whole cluster.</summary>
public sealed class SingleNodeMembership(NodeIdentity identity) : INodeMembership
{
    public string NodeId => identity.NodeId;

    public Task<IReadOnlyList<string>> LiveNodesAsync() => Task.FromResult<IReadOnlyList<string>>([identity.NodeId]);

    public Task LeaveAsync() => Task.CompletedTask;
}
