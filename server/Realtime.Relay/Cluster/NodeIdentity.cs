namespace Realtime.Relay.Cluster;

/// <summary>
/// This process's name in the cluster: <c>Relay:NodeId</c> (RELAY_NODE_ID) when set, else host
/// name + process id, so two relays on one machine never share a name. Read here and nowhere else.
/// </summary>
public sealed record NodeIdentity(string NodeId)
{
    public const string ConfigurationKey = "Relay:NodeId";

    public static NodeIdentity From(IConfiguration configuration)
    {
        var configured = configuration[ConfigurationKey];
        return new NodeIdentity(string.IsNullOrWhiteSpace(configured)
            ? $"{Environment.MachineName}-{Environment.ProcessId}"
            : configured.Trim());
    }
}
