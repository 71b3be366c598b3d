using System.Collections.Concurrent;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Support;

/// <summary>An <see cref="IInboxLifecycle"/> that records what the accounts side asked of the inbox.</summary>
public sealed class RecordingInbox : IInboxLifecycle
{
    public ConcurrentQueue<(string Action, RelayClient Client, string? Reason)> Calls { get; } = new();

    /// <summary>When set, OpenAsync throws it (to test roll-back).</summary>
    public Exception? FailOpen { get; set; }

    public Task OpenAsync(RelayClient client, CancellationToken cancellationToken)
    {
        if (FailOpen is { } e) throw e;
        Calls.Enqueue(("open", client, null));
        return Task.CompletedTask;
    }

    public Task CloseAsync(RelayClient client, string reason, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("close", client, reason));
        return Task.CompletedTask;
    }

    public IReadOnlyList<(string Action, RelayClient Client, string? Reason)> Snapshot() => Calls.ToList();
}
