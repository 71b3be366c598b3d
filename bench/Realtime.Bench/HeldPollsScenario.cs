using System.Diagnostics;

namespace Realtime.Bench;

/// <summary>
/// N game-server sessions, each holding <c>GET P/events?wait=25</c> (re-polling when one ends,
/// as a live server does). While all N are held the relay's RSS is sampled from /proc; every
/// poll that fails (exception or non-200) is an error. Then one event on the game's channel
/// (heard by every session) checks that the held polls are live: all N should return it.
/// </summary>
public static class HeldPollsScenario
{
    private const string ScenarioName = "held-polls";
    private const string GameId = "bench-held";
    private static readonly TimeSpan RegisterBudget = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan HoldSampling = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(int n, Topology? topology = null)
    {
        var name = topology is null ? ScenarioName : $"{ScenarioName} [{topology.Label}]";
        await using var env = await BenchEnvironment.StartAsync(topology);
        using var api = new RelayApi(env.RelayUrl, TimeSpan.FromSeconds(60));
        var (idleRss, _) = env.RelayMemory();
        Report.Progress(name, $"relay RSS at start: {ProcStats.MiB(idleRss)}; registering {n} sessions");

        var key = await api.CreateGameAsync(GameId);
        using var stop = new CancellationTokenSource();
        long held = 0, completed = 0, errors = 0, registered = 0, woken = 0;
        var firstErrors = new List<string>();
        var loops = new List<Task>(n);
        var wokenAt = new long[1];
        long fanoutSent = 0;

        async Task PollLoop(Session session)
        {
            long cursor = 0;
            var sawFanout = false;
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref held);
                try
                {
                    var answer = await api.PollAsync(session, cursor, 25, 100, stop.Token);
                    Interlocked.Increment(ref completed);
                    cursor = answer.Next;
                    if (!sawFanout && answer.Events.Any(e => e.Event == "bench-fanout"))
                    {
                        sawFanout = true;
                        if (Interlocked.Increment(ref woken) == n) wokenAt[0] = Stopwatch.GetTimestamp();
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref errors) <= 5) lock (firstErrors) firstErrors.Add(e.GetType().Name + ": " + e.Message);
                    try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { return; }
                }
                finally
                {
                    Interlocked.Decrement(ref held);
                }
            }
        }

        // Register with a few requests in flight (the relay serializes session changes anyway);
        // each session starts polling as soon as it exists, like a live server.
        var registerClock = Stopwatch.StartNew();
        var registerErrors = 0;
        var next = -1;
        var progress = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && Interlocked.Read(ref registered) < n)
            {
                try { await Task.Delay(2000, stop.Token); } catch (OperationCanceledException) { return; }
                Report.Progress(name, $"registered {Interlocked.Read(ref registered)}/{n}, polls held {Interlocked.Read(ref held)}, " +
                                      $"errors {Interlocked.Read(ref errors)}, relay RSS {ProcStats.MiB(env.RelayMemory().Rss)}");
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n && registerClock.Elapsed < RegisterBudget)
            {
                try
                {
                    var session = await api.RegisterAsync(GameId, key, $"job-{i:D5}");
                    Interlocked.Increment(ref registered);
                    lock (loops) loops.Add(Task.Run(() => PollLoop(session)));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    if (Interlocked.Increment(ref registerErrors) <= 3) Report.Progress(name, "register failed: " + e.Message);
                }
            }
        })));
        var registerSeconds = registerClock.Elapsed.TotalSeconds;
        Report.Progress(name, $"{registered} sessions registered in {registerSeconds:0.0} s ({registered / registerSeconds:0} /s), {registerErrors} failed");

        // Wait until every session's poll is outstanding, then let the relay settle.
        var heldDeadline = DateTime.UtcNow.AddSeconds(30);
        while (Interlocked.Read(ref held) < registered && DateTime.UtcNow < heldDeadline) await Task.Delay(100);
        await Task.Delay(3000);

        var samples = new List<long>();
        var cpuStart = env.Cpu();
        var sampleClock = Stopwatch.StartNew();
        long minHeld = long.MaxValue, maxHeld = 0;
        while (sampleClock.Elapsed < HoldSampling)
        {
            samples.Add(env.RelayMemory().Rss);
            var now = Interlocked.Read(ref held);
            minHeld = Math.Min(minHeld, now);
            maxHeld = Math.Max(maxHeld, now);
            await Task.Delay(1000);
        }
        var (_, peak) = env.RelayMemory();
        var maxRss = samples.Max();
        Report.Progress(name, $"while {registered} polls were held: RSS {ProcStats.MiB(samples.Min())}..{ProcStats.MiB(maxRss)}, " +
                              $"peak (VmHWM) {ProcStats.MiB(peak)}, outstanding polls {minHeld}..{maxHeld}, CPU {env.Cpu().Since(cpuStart)}");

        // One event heard by every session (the game's own channel): each held poll should return it.
        Interlocked.Exchange(ref fanoutSent, Stopwatch.GetTimestamp());
        await env.Backend.TriggerAsync("private-game-" + GameId, "bench-fanout", """{"id":-3}""");
        var wakeDeadline = DateTime.UtcNow.AddSeconds(60);
        while (Interlocked.Read(ref woken) < registered && DateTime.UtcNow < wakeDeadline) await Task.Delay(50);
        var allWoken = Interlocked.Read(ref woken) >= registered;
        var fanoutSeconds = allWoken ? Stopwatch.GetElapsedTime(fanoutSent, wokenAt[0]).TotalSeconds : double.NaN;
        var (afterRss, afterPeak) = env.RelayMemory();
        Report.Progress(name, $"one event to all sessions: {woken}/{registered} polls returned it" +
                              (allWoken ? $" within {fanoutSeconds:0.00} s" : " (not all within 60 s)") +
                              $"; relay RSS now {ProcStats.MiB(afterRss)}, peak {ProcStats.MiB(afterPeak)}");

        await stop.CancelAsync();
        await progress;
        Task[] all;
        lock (loops) all = loops.ToArray();
        await Task.WhenAll(all);
        foreach (var e in firstErrors) Report.Progress(name, "error: " + e);

        var totalErrors = Interlocked.Read(ref errors) + registerErrors;
        Report.Add(new Figure(name, "sessions registered", $"{registered}", $"{n}", registered == n));
        // A poll that ends after 25 s is re-issued at once, so a sample can catch a few between two polls.
        Report.Add(new Figure(name, "polls outstanding while sampled", $"{minHeld}..{maxHeld}"));
        Report.Add(new Figure(name, "relay RSS while held (max sample)", ProcStats.MiB(maxRss), "< 1024 MiB", maxRss < 1024L * 1024 * 1024));
        Report.Add(new Figure(name, "relay RSS idle / peak (VmHWM) at end", $"{ProcStats.MiB(idleRss)} / {ProcStats.MiB(afterPeak)}"));
        Report.Add(new Figure(name, "errors (register + poll)", $"{totalErrors}", "0", totalErrors == 0));
        Report.Add(new Figure(name, "registration rate", $"{registered / registerSeconds:0} sessions/s"));
        Report.Add(new Figure(name, "one event to every held poll", allWoken ? $"{woken} returned it in {fanoutSeconds:0.00} s" : $"{woken}/{registered} in 60 s"));
    }
}
