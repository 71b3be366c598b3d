using Realtime.Relay.Storage;

namespace Realtime.Relay.Tests.Support;

/// <summary>
/// Puts writes into one group of the store writer on purpose: the writer is held busy by a write that waits on a gate
/// while they are queued, so "in one group" and "rolled back with a bad neighbour" are states a test sets up, not races.
/// </summary>
internal static class StoreGroups
{
    /// <summary>Runs the writes <paramref name="queue"/> starts as one group, and waits for them.</summary>
    public static async Task InOneGroupAsync(StoreWriter writer, Func<IEnumerable<Task>> queue) =>
        await Task.WhenAll(await QueueAsOneGroupAsync(writer, queue));

    /// <summary>
    /// Runs <paramref name="work"/> in one group with a write that throws: the group is rolled back (the inboxes it
    /// touched reload their states from disk), then <paramref name="work"/> runs again on its own.
    /// </summary>
    public static async Task InAFailedGroupAsync(StoreWriter writer, Func<Task> work)
    {
        var writes = await QueueAsOneGroupAsync(writer, () => [work(), writer.WriteAsync(_ => throw new InvalidOperationException("a bad neighbour"))]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => writes[1]);
        await writes[0];
    }

    /// <summary>Queues what <paramref name="queue"/> starts while the writer is held busy, then lets that group run.</summary>
    private static async Task<List<Task>> QueueAsOneGroupAsync(StoreWriter writer, Func<IEnumerable<Task>> queue)
    {
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = Hold(writer, entered, release);
        await entered.Task; // the writer is busy: what is queued next forms one group
        var writes = queue().ToList();
        release.Set();
        await held;
        return writes;
    }

    /// <summary>
    /// The writes <paramref name="queue"/> starts, run as one group that has not committed yet when this completes: the
    /// writer is held busy while they are queued, and a write queued after them holds their group open until
    /// <see cref="OpenGroup.CommitAsync"/>.
    /// </summary>
    public static async Task<OpenGroup> RunUncommittedAsync(StoreWriter writer, Func<IEnumerable<Task>> queue)
    {
        var group = new OpenGroup();
        var firstEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        group.Writes.Add(Hold(writer, firstEntered, group.ReleaseFirst));
        await firstEntered.Task; // the writer is busy: what is queued next forms one group
        group.Writes.AddRange(queue());
        group.Writes.Add(Hold(writer, secondEntered, group.ReleaseSecond));
        group.ReleaseFirst.Set();
        await secondEntered.Task; // the queued writes ran, their group has not committed
        return group;
    }

    public sealed class OpenGroup : IDisposable
    {
        public ManualResetEventSlim ReleaseFirst { get; } = new();
        public ManualResetEventSlim ReleaseSecond { get; } = new();
        public List<Task> Writes { get; } = [];

        public async Task CommitAsync()
        {
            ReleaseSecond.Set();
            await Task.WhenAll(Writes);
        }

        public void Dispose()
        {
            ReleaseFirst.Set();
            ReleaseSecond.Set();
            ReleaseFirst.Dispose();
            ReleaseSecond.Dispose();
        }
    }

    /// <summary>Queues a write that holds its group open until <paramref name="release"/> is set; completes <paramref name="entered"/> when it runs.</summary>
    public static Task Hold(StoreWriter writer, TaskCompletionSource entered, ManualResetEventSlim release) =>
        writer.WriteAsync(_ => { entered.TrySetResult(); release.Wait(TimeSpan.FromSeconds(30)); });
}
