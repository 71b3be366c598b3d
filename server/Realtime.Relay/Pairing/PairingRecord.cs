using Realtime.Relay.Storage;

namespace Realtime.Relay.Pairing;

public enum PairingState
{
    Pending,
    Approved,
    Denied,
    /// <summary>Approved and exchanged for a token: the device code is spent.</summary>
    Consumed,
}

/// <summary>One device-flow pairing. The device code is stored only as its hash (the id).</summary>
public sealed class PairingRecord
{
    private DateTime _createdAt, _expiresAt;
    private DateTime? _lastPolledAt, _decidedAt;

    public string DeviceCodeHash { get; set; } = "";
    /// <summary>Stored form: 8 upper-case letters, no dash.</summary>
    public string UserCode { get; set; } = "";
    public PairingState State { get; set; }
    public DateTime CreatedAt { get => _createdAt; set => _createdAt = UtcDates.Utc(value); }
    public DateTime ExpiresAt { get => _expiresAt; set => _expiresAt = UtcDates.Utc(value); }
    public int IntervalSeconds { get; set; }
    public DateTime? LastPolledAt { get => _lastPolledAt; set => _lastPolledAt = UtcDates.Utc(value); }
    public long? PlaceId { get; set; }
    public string? GameId { get; set; }
    public long? StudioUserId { get; set; }
    public string? PluginVersion { get; set; }
    /// <summary>Assigned when approved, so the approver learns it at once.</summary>
    public string? PluginId { get; set; }
    public string? DecidedBy { get; set; }
    /// <summary>The approver was an admin (so <see cref="GameId"/> is honoured whoever owns the game).</summary>
    public bool DecidedByAdmin { get; set; }
    public DateTime? DecidedAt { get => _decidedAt; set => _decidedAt = UtcDates.Utc(value); }
    /// <summary>Grows with every change: writes compare it (<see cref="IPairingStore.ReplaceAsync"/>) instead of holding a lock.</summary>
    public long Version { get; set; }
}
