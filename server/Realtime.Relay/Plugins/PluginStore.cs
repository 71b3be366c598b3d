using LiteDB;
using Realtime.Relay.Clients;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Plugins;

/// <summary>A paired Studio plugin: who owns it (the approving educator) and where it was paired.</summary>
public sealed class PluginRecord
{
    private DateTime _createdAt;

    [BsonId] public string PluginId { get; set; } = "";
    public string OwnerId { get; set; } = "";
    public long? PlaceId { get; set; }
    public string? GameId { get; set; }
    /// <summary>An admin approved the pairing: <see cref="GameId"/> is honoured whoever owns the game.</summary>
    public bool GameApprovedByAdmin { get; set; }
    public long? StudioUserId { get; set; }
    public string? PluginVersion { get; set; }
    public DateTime CreatedAt { get => _createdAt; set => _createdAt = UtcDates.Utc(value); }

    public RelayClient ToClient() => new(ClientKind.Plugin, PluginId, GameId);
}

/// <summary>The <c>plugins</c> collection: one document per plugin that holds a token.</summary>
public sealed class PluginStore
{
    private readonly ILiteCollection<PluginRecord> _plugins;

    public PluginStore(RelayDatabase db)
    {
        _plugins = db.Collection<PluginRecord>("plugins");
        _plugins.EnsureIndex(p => p.OwnerId);
    }

    public void Add(PluginRecord plugin) => _plugins.Insert(plugin);

    /// <summary>The plugin with exactly this id (the database compares exactly; the check stays for safety).</summary>
    public PluginRecord? Find(string pluginId) =>
        _plugins.FindById(pluginId) is { } p && p.PluginId == pluginId ? p : null;

    public IReadOnlyList<PluginRecord> OwnedBy(string ownerId) =>
        _plugins.Find(p => p.OwnerId == ownerId).Where(p => p.OwnerId == ownerId).OrderBy(p => p.CreatedAt).ToList();

    public IReadOnlyList<PluginRecord> All() => _plugins.FindAll().OrderBy(p => p.CreatedAt).ToList();

    public bool Remove(string pluginId) => _plugins.Delete(pluginId);
}
