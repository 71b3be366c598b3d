using LiteDB;
using Realtime.Relay.Plugins;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// The <c>plugins</c> collection. A plugin is added with its token and inbox by the pairing's
/// exchange (<see cref="LiteDbPairingStore"/>) and removed with them here, each in one write.
/// </summary>
public sealed class LiteDbPluginStore : IPluginStore
{
    private readonly StoreWriter _writer;
    private readonly ILiteCollection<PluginRecord> _plugins;
    private readonly LiteDbClientCredentialStore _credentials;
    private readonly LiteDbInboxStore _inboxes;

    public LiteDbPluginStore(RelayDatabase db, StoreWriter writer, LiteDbClientCredentialStore credentials, LiteDbInboxStore inboxes)
    {
        _writer = writer;
        _credentials = credentials;
        _inboxes = inboxes;
        _plugins = db.Collection<PluginRecord>("plugins");
        _plugins.EnsureIndex(p => p.OwnerId);
    }

    public Task<PluginRecord?> FindAsync(string pluginId) => Task.FromResult(Find(pluginId));

    /// <summary>The plugin with exactly this id (the database compares exactly; the check stays for safety).</summary>
    private PluginRecord? Find(string pluginId) => _plugins.FindById(pluginId) is { } p && p.PluginId == pluginId ? p : null;

    public Task<IReadOnlyList<PluginRecord>> OwnedByAsync(string ownerId) => Task.FromResult<IReadOnlyList<PluginRecord>>(
        _plugins.Find(p => p.OwnerId == ownerId).Where(p => p.OwnerId == ownerId).OrderBy(p => p.CreatedAt).ToList());

    public Task<IReadOnlyList<PluginRecord>> AllAsync() =>
        Task.FromResult<IReadOnlyList<PluginRecord>>(_plugins.FindAll().OrderBy(p => p.CreatedAt).ToList());

    public Task<bool> RemoveAsync(string pluginId) => _writer.WriteAsync(ctx =>
    {
        if (Find(pluginId) is not { } plugin) return false;
        var client = plugin.ToClient();
        _credentials.Revoke(ctx, client);
        _plugins.Delete(pluginId);
        _inboxes.Close(ctx, client.InboxId);
        return true;
    });

    /// <summary>Inside a <see cref="StoreWriter"/> write (the pairing's exchange): records the plugin.</summary>
    internal void Add(PluginRecord plugin) => _plugins.Insert(plugin);
}
