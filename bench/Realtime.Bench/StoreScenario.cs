using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Relay.Clients;
using Realtime.Relay.Configuration;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.LiteDb;

namespace Realtime.Bench;

/// <summary>
/// The LiteDB inbox store on its own, in this process (no HTTP, no Pusher): what the one store
/// writer can do (docs/storage.md, "The one writer"). C inboxes on a fresh file; M events appended
/// as the Pusher feed appends them (each inbox its own channel, up to 64 appends of a channel in
/// flight); each inbox read from memory as it is woken and acknowledged as a long-poll's next
/// round does. Measured: events/s from the first append to the last acknowledgement stored, and
/// this process's CPU. A ceiling for the throughput scenario, which adds HTTP, soketi and the
/// bench's clients on the same cores.
/// </summary>
public static class StoreScenario
{
    private const string Name = "store";
    private const int InFlightPerInbox = 64;

    public static async Task RunAsync(int inboxes, int events)
    {
        var dir = Path.Combine(Path.GetTempPath(), "realtime-store-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var db = new RelayDatabase(new RelaySettings { DatabasePath = Path.Combine(dir, "relay.db") }, NullLogger<RelayDatabase>.Instance);
            var writer = new StoreWriter(db, NullLogger<StoreWriter>.Instance);
            await writer.StartAsync(CancellationToken.None);
            var signals = new InboxSignals();
            var store = new LiteDbInboxStore(db, writer, signals, new InboxOptions(), TimeProvider.System);
            var clients = Enumerable.Range(0, inboxes).Select(i => new RelayClient(ClientKind.GameServer, $"job-{i:D5}", "bench-store")).ToArray();
            foreach (var client in clients) await store.OpenAsync(client);
            Report.Progress(Name, $"{inboxes} inboxes open on a fresh LiteDB file; appending {events} events");

            long acknowledged = 0, breaks = 0;
            var perInbox = events / inboxes;
            var total = perInbox * inboxes;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var cpuStart = ProcStats.CpuSeconds(Environment.ProcessId);
            using var sampler = AllocationSampler.IfAsked();
            var allocatedStart = GC.GetTotalAllocatedBytes(precise: true);
            var pauseStart = GC.GetTotalPauseDuration();
            int[] collectionsStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            var clock = Stopwatch.StartNew();

            // Readers: as a long-poll loop does, read what is there after the cursor, then acknowledge it with the next round.
            var readers = clients.Select(client => Task.Run(async () =>
            {
                long cursor = 0;
                while (cursor < perInbox)
                {
                    var changed = signals.Current(client.InboxId);
                    var read = await store.ReadAfterAsync(client.InboxId, cursor, 1000);
                    if (read.Count == 0) { await changed; continue; }
                    foreach (var e in read)
                    {
                        // Event n of this inbox has seq n + 1: anything else is a lost, repeated or reordered event.
                        if (e.Seq != cursor + 1 || e.Data != $$"""{"n":{{cursor}}}""")
                        {
                            if (Interlocked.Increment(ref breaks) <= 5) Report.Progress(Name, $"{client.InboxId}: after seq {cursor} came seq {e.Seq} with {e.Data} (read {read.Count} after {read[0].Seq - 1})");
                        }
                        cursor = e.Seq;
                    }
                    var ack = store.AcknowledgeAsync(client.InboxId, cursor);
                    if (cursor >= perInbox)
                    {
                        await ack;
                        if (Interlocked.Add(ref acknowledged, perInbox) == total) done.TrySetResult();
                    }
                }
            })).ToArray();

            // Appenders: one per inbox (its own channel), keeping up to 64 appends in flight as the feed does.
            var appenders = clients.Select(client => Task.Run(async () =>
            {
                var storing = new Queue<Task>();
                for (var n = 0; n < perInbox; n++)
                {
                    storing.Enqueue(store.AppendAsync([client.InboxId], new IncomingEvent("content-generation-" + client.Id, "bench", $$"""{"n":{{n}}}""")));
                    while (storing.Count > InFlightPerInbox) await storing.Dequeue();
                }
                while (storing.TryDequeue(out var t)) await t;
            })).ToArray();

            var progress = Task.Run(async () =>
            {
                while (!done.Task.IsCompleted)
                {
                    await Task.WhenAny(done.Task, Task.Delay(2000));
                    Report.Progress(Name, $"acknowledged {Interlocked.Read(ref acknowledged)}/{total} after {clock.Elapsed.TotalSeconds:0.0} s");
                }
            });
            await Task.WhenAll(appenders);
            var appendSeconds = clock.Elapsed.TotalSeconds;
            await done.Task;
            var seconds = clock.Elapsed.TotalSeconds;
            var cpu = (ProcStats.CpuSeconds(Environment.ProcessId) - cpuStart) / seconds;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedStart;
            sampler?.Report(Name);
            var paused = GC.GetTotalPauseDuration() - pauseStart;
            var collections = string.Join(" / ", Enumerable.Range(0, 3).Select(g => GC.CollectionCount(g) - collectionsStart[g]));
            await Task.WhenAll(readers);
            await progress;
            await writer.StopAsync(CancellationToken.None);

            Report.Add(new Figure(Name, "inboxes / events", $"{inboxes} / {total}"));
            Report.Add(new Figure(Name, "appended and acknowledged (first append → last ack stored)", $"{total / seconds:0} events/s over {seconds:0.00} s"));
            Report.Add(new Figure(Name, "appends stored", $"{total / appendSeconds:0} events/s"));
            Report.Add(new Figure(Name, "every event once, in order", $"{Interlocked.Read(ref breaks)} out of place", "0", Interlocked.Read(ref breaks) == 0));
            Report.Add(new Figure(Name, "this process's CPU meanwhile", $"{cpu:0.00} cores (of {Environment.ProcessorCount})"));
            // The bench's own appenders and readers allocate too, but little next to LiteDB (docs/performance.md, "Where the time goes").
            Report.Add(new Figure(Name, "allocated per event (store and bench)", $"{allocated / 1024.0 / total:0.0} KiB"));
            Report.Add(new Figure(Name, "GC: paused / collections gen0 / gen1 / gen2", $"{paused.TotalSeconds / seconds:P0} of the time / {collections}"));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
