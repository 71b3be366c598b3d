using System.Diagnostics;
using System.Text.Json;
using Realtime.Pusher.Client;

namespace Realtime.Bench;

/// <summary>
/// The same K events, triggered one every <c>spacing</c> ms by the backend (Pusher REST) to a
/// public channel heard by a relay client (long-poll loop) and by a direct WebSocket subscriber
/// (<see cref="PusherConnection"/>). Latency = from just before the REST call to the moment each
/// path hands the event to its reader.
/// </summary>
public static class LatencyScenario
{
    private const string ScenarioName = "latency";

    public static async Task RunAsync(int count, int spacingMs, Topology? topology = null)
    {
        var name = topology is null ? ScenarioName : $"{ScenarioName} [{topology.Label}]";
        await using var env = await BenchEnvironment.StartAsync(topology);
        using var api = new RelayApi(env.RelayUrl);
        const string channel = "content-generation-bench-latency";

        var key = await api.CreateGameAsync("bench-latency");
        var session = await api.RegisterAsync("bench-latency", key, "latency-1");
        await api.SubscribeAsync(session, channel);

        await using var direct = new PusherConnection(env.PusherOptions);
        await direct.ConnectAsync();
        var subscription = direct.Subscribe(channel);
        await subscription.WaitUntilSubscribedAsync();

        var sent = new long[count];
        var viaRelay = new long[count];
        var viaDirect = new long[count];
        long relayReceived = 0, directReceived = 0, warmups = 0;
        using var stop = new CancellationTokenSource();

        var relayLoop = Task.Run(async () =>
        {
            long cursor = 0;
            while (!stop.IsCancellationRequested)
            {
                PollAnswer answer;
                try { answer = await api.PollAsync(session, cursor, 25, 1000, stop.Token); }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
                var now = Stopwatch.GetTimestamp();
                foreach (var e in answer.Events)
                {
                    if (e.Id >= 0 && e.Id < count && Interlocked.CompareExchange(ref viaRelay[e.Id], now, 0) == 0) Interlocked.Increment(ref relayReceived);
                    else if (e.Id == -2) Interlocked.Increment(ref warmups);
                }
                cursor = answer.Next;
            }
        });
        var directLoop = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in subscription.Events.ReadAllAsync(stop.Token))
                {
                    var now = Stopwatch.GetTimestamp();
                    if (e.Kind != PusherEventKind.Event || e.RawData is null) continue;
                    using var doc = JsonDocument.Parse(e.RawData);
                    var id = doc.RootElement.GetProperty("id").GetInt64();
                    if (id >= 0 && id < count && Interlocked.CompareExchange(ref viaDirect[id], now, 0) == 0) Interlocked.Increment(ref directReceived);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        });

        // Warm up both paths (JIT, connections) until the relay delivers: it subscribes asynchronously.
        var warmDeadline = DateTime.UtcNow.AddSeconds(20);
        while (Interlocked.Read(ref warmups) < 20 && DateTime.UtcNow < warmDeadline)
        {
            await env.Backend.TriggerAsync(channel, "bench-warmup", """{"id":-2}""");
            await Task.Delay(50);
        }
        if (Interlocked.Read(ref warmups) == 0) throw new TimeoutException("the relay delivered no warm-up event within 20 s");
        Report.Progress(name, $"warm: {Interlocked.Read(ref warmups)} warm-up events through the relay; publishing {count} events, one every {spacingMs} ms");

        var cpuStart = env.Cpu();
        var start = Stopwatch.GetTimestamp();
        var spacing = Stopwatch.Frequency * spacingMs / 1000;
        var publishErrors = 0;
        for (var i = 0; i < count; i++)
        {
            var due = start + i * spacing;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            sent[i] = Stopwatch.GetTimestamp();
            try { await env.Backend.TriggerAsync(channel, "bench", $$"""{"id":{{i}},"sentAt":"{{DateTime.UtcNow:O}}"}"""); }
            catch (Exception e) when (e is HttpRequestException or Realtime.Pusher.Rest.PusherApiException or TaskCanceledException)
            {
                publishErrors++;
                sent[i] = 0;
            }
            if ((i + 1) % 100 == 0)
                Report.Progress(name, $"{i + 1}/{count} published; received relay {Interlocked.Read(ref relayReceived)}, direct {Interlocked.Read(ref directReceived)}");
        }
        var expected = count - publishErrors;
        var drainDeadline = DateTime.UtcNow.AddSeconds(10);
        while ((Interlocked.Read(ref relayReceived) < expected || Interlocked.Read(ref directReceived) < expected) && DateTime.UtcNow < drainDeadline)
            await Task.Delay(20);
        var cpu = env.Cpu().Since(cpuStart);
        await stop.CancelAsync();
        await Task.WhenAll(relayLoop, directLoop);

        var relayMs = Latencies(sent, viaRelay);
        var directMs = Latencies(sent, viaDirect);
        var ratioP50 = Percentiles.Of(relayMs, 50) / Percentiles.Of(directMs, 50);
        var ratioP99 = Percentiles.Of(relayMs, 99) / Percentiles.Of(directMs, 99);
        Report.Progress(name, $"CPU while publishing: {cpu}");

        Report.Add(new Figure(name, "events (published / via relay / direct)", $"{expected} / {relayMs.Count} / {directMs.Count}",
            "all delivered", relayMs.Count == expected && directMs.Count == expected));
        Report.Add(new Figure(name, "relay long-poll p50 / p99 / max", Ms(relayMs)));
        Report.Add(new Figure(name, "direct WebSocket p50 / p99 / max", Ms(directMs)));
        // Issue 14's targets: the relay as fast as a direct WebSocket, within 20 % at the median and 50 % at p99.
        Report.Add(new Figure(name, "ratio relay/direct at p50", $"{ratioP50:0.00}", "<= 1.2", ratioP50 <= 1.2));
        Report.Add(new Figure(name, "ratio relay/direct at p99", $"{ratioP99:0.00}", "<= 1.5", ratioP99 <= 1.5));
    }

    private static List<double> Latencies(long[] sent, long[] received)
    {
        var list = new List<double>(sent.Length);
        for (var i = 0; i < sent.Length; i++)
        {
            if (sent[i] != 0 && received[i] != 0) list.Add(Stopwatch.GetElapsedTime(sent[i], received[i]).TotalMilliseconds);
        }
        list.Sort();
        return list;
    }

    private static string Ms(List<double> sorted) => sorted.Count == 0
        ? "none"
        : $"{Percentiles.Of(sorted, 50):0.00} / {Percentiles.Of(sorted, 99):0.00} / {sorted[^1]:0.00} ms";
}
