using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Realtime.Bench;

/// <summary>
/// What this process allocates, by type: the runtime's allocation tick (one event per ~100 KB allocated,
/// naming the type that crossed it) counted while it listens. Used by the <c>store</c> scenario when
/// <c>BENCH_ALLOCATIONS=1</c>: the store runs in the bench's own process there.
/// </summary>
public sealed class AllocationSampler : EventListener
{
    private readonly ConcurrentDictionary<string, long> _ticksByType = new();

    public static AllocationSampler? IfAsked() => Environment.GetEnvironmentVariable("BENCH_ALLOCATIONS") == "1" ? new AllocationSampler() : null;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal)) return;
        var i = e.PayloadNames?.IndexOf("TypeName") ?? -1;
        var type = i >= 0 ? e.Payload![i] as string ?? "?" : "?";
        _ticksByType.AddOrUpdate(type, 1, (_, n) => n + 1);
    }

    /// <summary>The types with the largest shares of what was allocated, as progress lines.</summary>
    public void Report(string scenario, int top = 12)
    {
        var total = _ticksByType.Values.Sum();
        if (total == 0) return;
        foreach (var (type, ticks) in _ticksByType.OrderByDescending(p => p.Value).Take(top))
            Realtime.Bench.Report.Progress(scenario, $"allocated: {100.0 * ticks / total,5:0.0} % {type}");
    }
}
