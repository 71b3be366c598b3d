namespace Realtime.Relay.Plugins;

/// <summary>
/// The storage seam for paired plugins (docs/storage.md). A plugin comes to exist with its token
/// and inbox in the pairing's exchange (<see cref="Pairing.IPairingStore.ConsumeAsync"/>);
/// removing it takes all three in one atomic operation.
/// </summary>
public interface IPluginStore
{
    /// <summary>The plugin with exactly this id.</summary>
    Task<PluginRecord?> FindAsync(string pluginId);

    /// <summary>The plugins of exactly this owner, oldest first.</summary>
    Task<IReadOnlyList<PluginRecord>> OwnedByAsync(string ownerId);

    /// <summary>Every plugin, oldest first.</summary>
    Task<IReadOnlyList<PluginRecord>> AllAsync();

    /// <summary>One atomic operation: forgets the plugin, revokes its tokens and closes its inbox. False when there was none.</summary>
    Task<bool> RemoveAsync(string pluginId);
}
