using System.Diagnostics;

namespace Realtime.Bench;

/// <summary>
/// What one long-poll round costs the relay, apart from waiting: C sessions each hold one event
/// (heard on the game's channel), and L loops poll them with <c>wait=0</c> and <c>after=0</c>
/// (answered at once with that event, nothing acknowledged) for a fixed time, over one HTTP/1.1
/// connection each. The figure is the relay's CPU time per answered poll, read from /proc: what
/// the held-polls fan-out and the throughput run pay per round besides the wake-up and the store.
/// No target: it is the measure for changes to the request path (docs/performance.md).
/// </summary>
public static class PollCostScenario
{
    public const string ScenarioName = "poll-cost";
    private const string GameId = "bench-poll-cost";
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Measured = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(int sessions, int loops)
    {
        await using var env = await BenchEnvironment.StartAsync();
        using var api = new RelayApi(env.RelayUrl);
        var key = await api.CreateGameAsync(GameId);
        var all = new List<Session>(sessions);
        for (var i = 0; i < sessions; i++) all.Add(await api.RegisterAsync(GameId, key, $"job-{i:D4}"));

        // Every session hears the game's channel; wait until each inbox holds the one event (the relay subscribes asynchronously).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var holding = 0;
        while (holding < sessions && DateTime.UtcNow < deadline)
        {
            await env.Backend.TriggerAsync("private-game-" + GameId, "bench-poll-cost", """{"id":-4}""");
            await Task.Delay(200);
            holding = 0;
            foreach (var session in all)
                if ((await api.PollAsync(session, 0, 0, 1, CancellationToken.None)).Events.Count > 0) holding++;
        }
        if (holding < sessions) throw new TimeoutException($"only {holding}/{sessions} inboxes got the event within 30 s");
        Report.Progress(ScenarioName, $"{sessions} inboxes hold an event; {loops} loops poll them with wait=0 for {WarmUp.TotalSeconds:0} s, then {Measured.TotalSeconds:0} s measured");

        long answered = 0, errors = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, loops).Select(l => Task.Run(async () =>
        {
            for (var i = l; !stop.IsCancellationRequested; i += loops)
            {
                try
                {
                    await api.PollAsync(all[i % sessions], 0, 0, 100, stop.Token);
                    Interlocked.Increment(ref answered);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { Interlocked.Increment(ref errors); }
            }
        })).ToList();

        await Task.Delay(WarmUp);
        var gcStart = await env.RelayGcAsync();
        var cpuStart = env.Cpu();
        var answeredStart = Interlocked.Read(ref answered);
        await Task.Delay(Measured);
        var cpuEnd = env.Cpu();
        var gcEnd = await env.RelayGcAsync();
        var count = Interlocked.Read(ref answered) - answeredStart;
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var seconds = Stopwatch.GetElapsedTime(cpuStart.At, cpuEnd.At).TotalSeconds;
        Report.Progress(ScenarioName, $"{count} polls answered in {seconds:0.0} s; CPU {cpuEnd.Since(cpuStart)}");
        Report.Add(new Figure(ScenarioName, "polls answered (wait=0, one event)", $"{count / seconds:0} /s over {loops} connections"));
        Report.Add(new Figure(ScenarioName, "relay CPU per answered poll", count == 0 ? "n/a" : $"{(cpuEnd.Relay - cpuStart.Relay) / count * 1e6:0} µs"));
        Report.Add(new Figure(ScenarioName, "relay allocated per answered poll", count == 0 || gcStart is null || gcEnd is null ? "n/a"
            : $"{(gcEnd.Allocated - gcStart.Allocated) / (double)count / 1024:0.0} KiB ({GcSample.Between(gcStart, gcEnd)})"));
        Report.Add(new Figure(ScenarioName, "bench CPU per answered poll", count == 0 ? "n/a" : $"{(cpuEnd.Bench - cpuStart.Bench) / count * 1e6:0} µs"));
        Report.Add(new Figure(ScenarioName, "errors", $"{Interlocked.Read(ref errors)}", "0", Interlocked.Read(ref errors) == 0));
    }
}
