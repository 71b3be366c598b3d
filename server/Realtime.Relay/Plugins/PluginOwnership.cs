using Realtime.Relay.Pairing;
using Realtime.Relay.PusherAuth;

namespace Realtime.Relay.Plugins;

/// <summary>
/// The owner of a plugin channel, for the dashboard's <c>private-plugin-&lt;id&gt;</c>
/// authorization: the plugin's owner, or — between approval and the plugin's token exchange —
/// the educator who approved it, so the dashboard can subscribe right after approving.
/// </summary>
public sealed class PluginOwnership(IPluginStore plugins, PairingService pairings) : IPluginOwnership
{
    public async Task<string?> OwnerOfAsync(string pluginId, CancellationToken cancellationToken) =>
        (await plugins.FindAsync(pluginId))?.OwnerId ?? await pairings.PendingOwnerOfAsync(pluginId);
}
