using Realtime.Relay.Clients;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Games;

/// <summary>A game that game servers join with its server key (stored only as a hash).</summary>
public sealed class GameRecord
{
    private DateTime _createdAt;
    private DateTime? _keyRotatedAt;

    public string GameId { get; set; } = "";
    public string Name { get; set; } = "";
    public string OwnerId { get; set; } = "";
    /// <summary>SHA-256 of the server key (<see cref="ClientTokens.Hash"/>).</summary>
    public string KeyHash { get; set; } = "";
    public DateTime CreatedAt { get => _createdAt; set => _createdAt = UtcDates.Utc(value); }
    public DateTime? KeyRotatedAt { get => _keyRotatedAt; set => _keyRotatedAt = UtcDates.Utc(value); }
}

/// <summary>One live game server's session; the id is its inbox id (<c>server:&lt;gameId&gt;:&lt;jobId&gt;</c>).</summary>
public sealed class SessionRecord
{
    private DateTime _startedAt, _lastSeenAt;

    public string Id { get; set; } = "";
    public string GameId { get; set; } = "";
    public string JobId { get; set; } = "";
    public long PlaceId { get; set; }
    public DateTime StartedAt { get => _startedAt; set => _startedAt = UtcDates.Utc(value); }
    public DateTime LastSeenAt { get => _lastSeenAt; set => _lastSeenAt = UtcDates.Utc(value); }

    public RelayClient ToClient() => new(ClientKind.GameServer, JobId, GameId);
}
