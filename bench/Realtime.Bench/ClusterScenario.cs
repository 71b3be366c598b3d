namespace Realtime.Bench;

/// <summary>
/// What Redis and the cluster cost: the latency, held-polls and throughput scenarios, each run on
/// one relay with LiteDB, one relay on Redis, and three relays on one Redis behind haproxy (and,
/// on request, the same with <c>appendfsync everysec</c>); then a node killed under traffic
/// (<see cref="FailoverScenario"/>). Prints the figures side by side, one column per topology.
/// </summary>
public static class ClusterScenario
{
    public sealed record Sizes(int LatencyEvents, int SpacingMs, int Polls, int Clients, int Events, int Rate, int InFlight, int WarmupEvents,
        int FailoverChannels, int FailoverTickMs, bool AlsoEverySec);

    public static async Task RunAsync(Sizes sizes)
    {
        var cluster = Topology.Redis(3, "always");
        List<Topology> topologies = [Topology.LiteDb, Topology.Redis(1, "always"), cluster];
        if (sizes.AlsoEverySec) topologies.Add(Topology.Redis(3, "everysec"));
        foreach (var topology in topologies)
        {
            await Guarded($"latency [{topology.Label}]", () => LatencyScenario.RunAsync(sizes.LatencyEvents, sizes.SpacingMs, topology));
            await Guarded($"held-polls [{topology.Label}]", () => HeldPollsScenario.RunAsync(sizes.Polls, topology));
            await Guarded($"throughput [{topology.Label}]", () => ThroughputScenario.RunAsync(sizes.Clients, sizes.Events, sizes.Rate, sizes.InFlight, sizes.WarmupEvents, topology));
        }
        await Guarded($"failover [{cluster.Label}]", () => FailoverScenario.RunAsync(sizes.FailoverChannels, sizes.FailoverTickMs, cluster));
        PrintSideBySide(topologies);
    }

    /// <summary>The failover run alone (3 relays, one Redis): about 40 s instead of the whole cluster scenario.</summary>
    public static Task RunFailoverAsync(int channels, int tickMs)
    {
        var cluster = Topology.Redis(3, "always");
        return Guarded($"failover [{cluster.Label}]", () => FailoverScenario.RunAsync(channels, tickMs, cluster));
    }

    private static async Task Guarded(string name, Func<Task> run)
    {
        Report.Progress(name, "starting");
        try
        {
            await run();
        }
        catch (Exception e)
        {
            Report.Progress(name, "FAILED TO RUN: " + e);
            Report.Add(new Figure(name, "run", "failed: " + e.GetType().Name + ": " + e.Message.Split('\n')[0], "completes", false));
        }
    }

    /// <summary>One table per scenario: a row per figure, a column per topology.</summary>
    private static void PrintSideBySide(List<Topology> topologies)
    {
        List<Figure> figures;
        lock (Report.Figures) figures = [.. Report.Figures];
        foreach (var scenario in new[] { "latency", "held-polls", "throughput" })
        {
            var columns = topologies.Select(t => $"{scenario} [{t.Label}]").ToList();
            var names = figures.Where(f => columns.Contains(f.Scenario)).Select(f => f.Name).Distinct().ToList();
            var rows = names.Select(n => new[] { n }.Concat(columns.Select(c =>
                figures.FirstOrDefault(f => f.Scenario == c && f.Name == n) is { } f
                    ? f.Value + (f.Met switch { true => " ✓", false => " ✗", null => "" })
                    : "—")).ToArray()).ToList();
            string[] head = [scenario, .. topologies.Select(t => t.Label)];
            var widths = Enumerable.Range(0, head.Length).Select(i => rows.Select(r => r[i].Length).Append(head[i].Length).Max()).ToArray();
            Console.WriteLine();
            Console.WriteLine(Line(head));
            Console.WriteLine(string.Join(" | ", widths.Select(w => new string('-', w))));
            foreach (var r in rows) Console.WriteLine(Line(r));

            string Line(string[] cells) => string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
        }
    }
}
