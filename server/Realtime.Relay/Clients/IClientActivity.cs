using System.Collections.Concurrent;

namespace Realtime.Relay.Clients;

/// <summary>
/// "This client just called": the inbox endpoints (events, stream, trigger, players) call
/// <see cref="Touch"/> on every authenticated request, so a game-server session that keeps
/// calling is never ended for silence. Cheap: a dictionary write; the session sweeper writes
/// the timestamps to LiteDB on its next round.
/// </summary>
public interface IClientActivity
{
    void Touch(RelayClient client);
}

/// <summary>
/// Last-seen times of game-server sessions not yet written to LiteDB, keyed by inbox id
/// (nothing ends a plugin for silence, so plugins are not written), and every client's last
/// call in this process, for the console's "last seen" and "online".
/// </summary>
public sealed class ClientActivity(TimeProvider time) : IClientActivity
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);

    public void Touch(RelayClient client)
    {
        var now = time.GetUtcNow();
        _lastSeen[client.InboxId] = now;
        if (client.Kind == ClientKind.GameServer) _pending[client.InboxId] = now;
    }

    /// <summary>When the client last called since this process started (in memory only: null after a restart until it calls).</summary>
    public DateTimeOffset? LastSeen(string inboxId) => _lastSeen.TryGetValue(inboxId, out var at) ? at : null;

    /// <summary>A touch not yet drained, if any.</summary>
    public DateTimeOffset? PendingFor(string inboxId) => _pending.TryGetValue(inboxId, out var at) ? at : null;

    /// <summary>Takes the pending touches; one that arrives meanwhile stays for the next round.</summary>
    public IReadOnlyList<KeyValuePair<string, DateTimeOffset>> Drain()
    {
        var taken = _pending.ToArray();
        foreach (var entry in taken) _pending.TryRemove(entry);
        return taken;
    }

    public void Forget(RelayClient client)
    {
        _pending.TryRemove(client.InboxId, out _);
        _lastSeen.TryRemove(client.InboxId, out _);
    }
}
