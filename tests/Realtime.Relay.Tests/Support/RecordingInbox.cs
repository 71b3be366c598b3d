using System.Collections.Concurrent;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Support;

/// <summary>An <see cref="IInboxLifecycle"/> that records which inboxes the accounts side opened and closed.</summary>
public sealed class RecordingInbox : IInboxLifecycle
{
    public ConcurrentQueue<(string Action, RelayClient Client, string? Reason)> Calls { get; } = new();

    public void Opened(RelayClient client) => Calls.Enqueue(("open", client, null));

    public Task ClosedAsync(RelayClient client, string reason)
    {
        Calls.Enqueue(("close", client, reason));
        return Task.CompletedTask;
    }

    public IReadOnlyList<(string Action, RelayClient Client, string? Reason)> Snapshot() => Calls.ToList();
}
