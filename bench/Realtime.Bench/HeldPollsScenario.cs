using System.Diagnostics;
using Realtime.Testing;

namespace Realtime.Bench;

/// <summary>
/// N game-server sessions, each holding <c>GET P/events?wait=25</c> (re-polling when one ends,
/// as a live server does). While all N are held the relay's RSS is sampled from /proc; every
/// poll that fails (exception or non-200) is an error. Then one event on the game's channel
/// (heard by every session) checks that the held polls are live: all N should return it.
/// <para>
/// Each poll has its own HTTP/1.1 connection, as Roblox's HttpService does, as far as this
/// process's descriptor limit allows (one per connection here and in the relay, plus
/// <see cref="DescriptorHeadroom"/>); the rest go over cleartext HTTP/2 (100 streams per
/// connection, as a load balancer in front may send them), and the report says how many.
/// </para>
/// </summary>
public static class HeldPollsScenario
{
    public const string ScenarioName = "held-polls";
    public const string ScenarioName20k = "held-polls-20k";
    private const int Target20k = 20_000;
    private const string GameId = "bench-held";
    private const int DescriptorHeadroom = 1500;
    private const int RegistrationsInFlight = 16;
    private static readonly TimeSpan HoldSampling = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(int n, Topology? topology = null, string scenarioName = ScenarioName)
    {
        var name = topology is null ? scenarioName : $"{scenarioName} [{topology.Label}]";
        var ownConnections = (int)Math.Min(n, Math.Max(0, OpenFilesLimit() - DescriptorHeadroom));
        var multiplexed = n - ownConnections;
        await using var env = await BenchEnvironment.StartAsync(topology, http2: multiplexed > 0);
        using var api = new RelayApi(env.RelayUrl, TimeSpan.FromSeconds(60));
        using var registrar = new RelayApi(env.RelayUrl, TimeSpan.FromSeconds(60));
        using var api2 = multiplexed > 0 ? new RelayApi(env.Http2Url!, TimeSpan.FromSeconds(60), http2: true) : null;
        var transport = multiplexed == 0
            ? $"{n} HTTP/1.1 connections"
            : $"{ownConnections} HTTP/1.1 connections + {multiplexed} polls over cleartext HTTP/2 (open files limit {OpenFilesLimit()})";
        var (idleRss, _) = env.RelayMemory();
        var idleHeap = await ManagedHeapAsync(env.RelayUrl);
        Report.Progress(name, $"relay RSS at start: {ProcStats.MiB(idleRss)}, managed heap {ProcStats.MiB(idleHeap)}; registering {n} sessions; {transport}");
        var registerBudget = TimeSpan.FromMinutes(5) * Math.Max(1, n / 10_000);

        var key = await api.CreateGameAsync(GameId);
        using var stop = new CancellationTokenSource();
        long held = 0, completed = 0, errors = 0, registered = 0, woken = 0;
        var firstErrors = new List<string>();
        var loops = new List<Task>(n);
        var wokenAt = new long[1];
        // When each poll returned the fan-out event, in the order they returned: the spread says whether the
        // relay starts answering late (a write in front of every answer) or answers slowly (the cost per answer).
        var wokenTimes = new long[n];
        long fanoutSent = 0, fanoutExpected = long.MaxValue;

        async Task PollLoop(Session session, RelayApi client)
        {
            long cursor = 0;
            var sawFanout = false;
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref held);
                try
                {
                    var answer = await client.PollAsync(session, cursor, 25, 100, stop.Token);
                    Interlocked.Increment(ref completed);
                    cursor = answer.Next;
                    if (!sawFanout && answer.Events.Any(e => e.Event == "bench-fanout"))
                    {
                        sawFanout = true;
                        var now = Stopwatch.GetTimestamp();
                        var order = Interlocked.Increment(ref woken);
                        if (order <= wokenTimes.Length) wokenTimes[order - 1] = now;
                        if (order == Interlocked.Read(ref fanoutExpected)) wokenAt[0] = now;
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
        await Task.WhenAll(Enumerable.Range(0, RegistrationsInFlight).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n && registerClock.Elapsed < registerBudget)
            {
                try
                {
                    var session = await registrar.RegisterAsync(GameId, key, $"job-{i:D5}");
                    Interlocked.Increment(ref registered);
                    var client = i < ownConnections ? api : api2!;
                    lock (loops) loops.Add(Task.Run(() => PollLoop(session, client)));
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
        var heldHeap = await ManagedHeapAsync(env.RelayUrl);
        Report.Progress(name, $"while {registered} polls were held: RSS {ProcStats.MiB(samples.Min())}..{ProcStats.MiB(maxRss)}, " +
                              $"peak (VmHWM) {ProcStats.MiB(peak)}, outstanding polls {minHeld}..{maxHeld}, CPU {env.Cpu().Since(cpuStart)}");

        // One event heard by every session (the game's own channel): each held poll should return it.
        var gcBefore = await env.RelayGcAsync();
        Interlocked.Exchange(ref fanoutExpected, Interlocked.Read(ref registered));
        Interlocked.Exchange(ref fanoutSent, Stopwatch.GetTimestamp());
        await env.Backend.TriggerAsync("private-game-" + GameId, "bench-fanout", """{"id":-3}""");
        var wakeDeadline = DateTime.UtcNow.AddSeconds(60);
        while (Interlocked.Read(ref woken) < registered && DateTime.UtcNow < wakeDeadline) await Task.Delay(50);
        var allWoken = Interlocked.Read(ref woken) >= registered;
        var gcDuring = GcSample.Between(gcBefore, await env.RelayGcAsync()); // sampled once all were woken (or the wait gave up)
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
        // held-polls-20k judges issue 14's target (20,000 held); a smaller --polls there cannot meet it.
        var (heldTarget, enoughHeld) = scenarioName == ScenarioName20k ? ($"{Target20k:N0} held, < 1024 MiB", registered >= Target20k) : ("< 1024 MiB", true);
        Report.Add(new Figure(name, "relay RSS while held (max sample)", ProcStats.MiB(maxRss), heldTarget,
            enoughHeld && registered == n && maxRss < 1024L * 1024 * 1024));
        Report.Add(new Figure(name, "relay RSS idle / peak (VmHWM) at end", $"{ProcStats.MiB(idleRss)} / {ProcStats.MiB(afterPeak)}"));
        if (registered > 0)
            Report.Add(new Figure(name, "per held poll: RSS / managed heap", $"{(maxRss - idleRss) / 1024.0 / registered:0.0} KiB / " +
                                                                            $"{(heldHeap - idleHeap) / 1024.0 / registered:0.0} KiB (heap {ProcStats.MiB(idleHeap)} → {ProcStats.MiB(heldHeap)})"));
        Report.Add(new Figure(name, "transport", transport));
        Report.Add(new Figure(name, "errors (register + poll)", $"{totalErrors}", "0", totalErrors == 0));
        Report.Add(new Figure(name, "registration rate", $"{registered / registerSeconds:0} sessions/s"));
        if (allWoken && woken > 0)
        {
            // Each time was taken just before its poll was counted, so the order of counting is not quite the order in time.
            Array.Sort(wokenTimes, 0, (int)Math.Min(woken, wokenTimes.Length));
            double At(double share) => Stopwatch.GetElapsedTime(fanoutSent, wokenTimes[(int)Math.Min(woken - 1, Math.Ceiling(share * woken) - 1)]).TotalSeconds;
            Report.Add(new Figure(name, "fan-out: first / 10 % / 50 % / 90 % answered after",
                $"{Stopwatch.GetElapsedTime(fanoutSent, wokenTimes[0]).TotalSeconds:0.000} / {At(0.1):0.000} / {At(0.5):0.000} / {At(0.9):0.000} s"));
        }
        Report.Add(new Figure(name, "fan-out: the relay's GC meanwhile", gcDuring));
        Report.Add(new Figure(name, "one event to every held poll", allWoken ? $"{woken} returned it in {fanoutSeconds:0.00} s" : $"{woken}/{registered} in 60 s",
            $"all {n:N0} in <= 1 s", allWoken && registered == n && fanoutSeconds <= 1.0));
    }

    /// <summary>This process's open files limit (the relay, its child, inherits it); unlimited as long.MaxValue.</summary>
    private static long OpenFilesLimit()
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
            var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return long.TryParse(soft, out var limit) ? limit : long.MaxValue;
        }
        return long.MaxValue;
    }

    /// <summary>The relay's managed heap (GC.GetTotalMemory, prometheus-net's dotnet_total_memory_bytes on /metrics); 0 when unknown.</summary>
    private static async Task<long> ManagedHeapAsync(string relayUrl)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            return (long)(PrometheusText.Value(await http.GetStringAsync(relayUrl + "/metrics"), "dotnet_total_memory_bytes") ?? 0);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException) { return 0; }
    }
}
