using System.Collections.Concurrent;
using Realtime.Relay.Clients;

namespace Realtime.Relay.Inbox;

/// <summary>
/// TEMPORARY (accounts branch only): stands in for the inbox's real <see cref="IInboxLifecycle"/>
/// until it is merged, and only records the calls in memory. Registered with TryAdd by the
/// pairing and games set-ups, so the real implementation replaces it; delete it at merge.
/// </summary>
public sealed class TemporaryInboxLifecycle(ILogger<TemporaryInboxLifecycle> log) : IInboxLifecycle
{
    public sealed record Call(string Action, RelayClient Client, string? Reason);

    public ConcurrentQueue<Call> Calls { get; } = new();

    public Task OpenAsync(RelayClient client, CancellationToken cancellationToken)
    {
        Calls.Enqueue(new Call("open", client, null));
        log.LogDebug("(temporary) open inbox {InboxId}", client.InboxId);
        return Task.CompletedTask;
    }

    public Task CloseAsync(RelayClient client, string reason, CancellationToken cancellationToken)
    {
        Calls.Enqueue(new Call("close", client, reason));
        log.LogDebug("(temporary) close inbox {InboxId}: {Reason}", client.InboxId, reason);
        return Task.CompletedTask;
    }
}
