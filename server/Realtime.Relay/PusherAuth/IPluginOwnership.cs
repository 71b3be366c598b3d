namespace Realtime.Relay.PusherAuth;

/// <summary>Who owns a paired Studio plugin (the educator who approved its pairing).</summary>
public interface IPluginOwnership
{
    Task<string?> OwnerOfAsync(string pluginId, CancellationToken cancellationToken);
}

/// <summary>
/// Used until the pairing store exists (issue 4): knows no plugins, so only admins may
/// subscribe to a plugin channel. Replaced by the store's implementation, not extended.
/// </summary>
public sealed class NoPluginsYet : IPluginOwnership
{
    public Task<string?> OwnerOfAsync(string pluginId, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
