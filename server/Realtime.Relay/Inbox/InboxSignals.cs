using System.Collections.Concurrent;

namespace Realtime.Relay.Inbox;

/// <summary>
/// Wakes waiting long-polls and streams when their inbox changes. A waiter takes the
/// current signal *before* reading, so a commit between its read and its wait still wakes it.
/// </summary>
public sealed class InboxSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new();

    public Task Current(string inboxId) =>
        _signals.GetOrAdd(inboxId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Pulse(string inboxId)
    {
        if (_signals.TryRemove(inboxId, out var signal)) signal.TrySetResult();
    }
}
