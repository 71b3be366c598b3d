using Realtime.Relay.Pairing;
using Realtime.Relay.PusherAuth;

namespace Realtime.Relay.Plugins;

/// <summary>
/// The owner of a plugin channel, for the dashboard's <c>private-plugin-&lt;id&gt;</c>
/// authorization: the plugin's owner, or — between approval and the plugin's token exchange —
/// the educator who approved it, so the dashboard can subscribe right after approving.
/// </summary>
public sealed class PluginOwnership(PluginStore plugins, PairingService pairings) : IPluginOwnership
{
    public Task<string?> OwnerOfAsync(string pluginId, CancellationToken cancellationToken) =>
        Task.FromResult(plugins.Find(pluginId)?.OwnerId ?? pairings.PendingOwnerOf(pluginId));
}
