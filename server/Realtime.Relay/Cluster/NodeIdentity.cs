namespace Realtime.Relay.Cluster;

/// <summary>
/// This process's name in the cluster, from <see cref="Configuration.StoreSettings.Node"/>
/// (RELAY_NODE_ID, else host name + process id, so two relays on one machine never share a name).
/// </summary>
public sealed record NodeIdentity(string NodeId);
