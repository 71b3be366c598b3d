using Realtime.Relay.Clients;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Plugins;

/// <summary>A paired Studio plugin: who owns it (the approving educator) and where it was paired.</summary>
public sealed class PluginRecord
{
    private DateTime _createdAt;

    public string PluginId { get; set; } = "";
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
