namespace Realtime.Relay.PusherAuth;

/// <summary>Who owns a paired Studio plugin (the educator who approved its pairing); see Plugins/PluginOwnership.</summary>
public interface IPluginOwnership
{
    Task<string?> OwnerOfAsync(string pluginId, CancellationToken cancellationToken);
}
