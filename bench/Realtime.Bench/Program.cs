using Realtime.Bench;

// End-to-end benchmarks of the relay (issue 4). Not tests: they print figures and whether each
// target was met, and exit 0 either way. Every scenario starts its own soketi and relay.
//
//   dotnet bench/Realtime.Bench/bin/Release/net10.0/Realtime.Bench.dll [latency|held-polls|held-polls-20k|throughput|all] [options]
//     --latency-events K   events in the latency run (500), one every --spacing-ms (20)
//     --polls N            held long-polls (10000; held-polls-20k: 20000, or --polls-20k)
//   BENCH_RELAY_DLL=path   run another build of the relay (e.g. a copy of the one before a change)
//     --clients C          throughput clients, one channel each (1000)
//     --events M           throughput events (60000), offered at --rate events/s (12000, above the 10,000/s target so
//                          the relay, not the offer, is the limit; 0 = as fast as possible)
//     --in-flight F        concurrent REST batch triggers in the throughput run (32)
//     --warmup-events W    a first, unjudged round of the same load on the fresh relay (30000; 0 = none)
//   cluster: the three above on LiteDB, on one relay with Redis and on 3 relays + haproxy on one Redis,
//   then a node killed under traffic; smaller defaults (--polls 2000, --events 20000, --warmup-events 10000,
//   --latency-events 300) and
//     --failover-channels N  channels (one session each) in the failover run (30), a batch of 10 events every --tick-ms (20)
//     --everysec             also run the three on 3 nodes with Redis' appendfsync everysec
//   failover: only the cluster's failover run (3 relays, one Redis), --failover-channels and --tick-ms as above
//   poll-cost: the relay's CPU per answered long-poll round (wait=0), --clients inboxes (200) polled by --loops connections (64)
//   store: the LiteDB inbox store alone in this process (no HTTP, no Pusher): --clients inboxes (1000), --events (60000)
//   latency|held-polls|throughput|all --redis [--nodes N] [--everysec]: on Redis (N relays behind haproxy) instead of LiteDB

var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

string[] known = ["latency", "held-polls", "held-polls-20k", "throughput", "cluster", "failover", "store", "poll-cost", "all"];
if (!known.Contains(scenario))
{
    Console.Error.WriteLine($"unknown scenario '{scenario}': use one of {string.Join(", ", known)}");
    return 2;
}

Console.WriteLine($"Realtime Bridge benchmarks: {scenario} — {Environment.ProcessorCount} cores, " +
                  $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024 * 1024.0):0} GiB, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, " +
                  $"relay {BenchEnvironment.RelayDll()}");

// --redis [--nodes N] [--everysec]: the single scenarios on Redis (N relays behind haproxy) instead of LiteDB.
Topology? topology = args.Contains("--redis") ? Topology.Redis(Option("nodes", 1), args.Contains("--everysec") ? "everysec" : "always") : null;
var scenarios = new List<(string Name, Func<Task> Run)>
{
    ("latency", () => LatencyScenario.RunAsync(Option("latency-events", 500), Option("spacing-ms", 20), topology)),
    ("held-polls", () => HeldPollsScenario.RunAsync(Option("polls", 10_000), topology)),
    ("held-polls-20k", () => HeldPollsScenario.RunAsync(Option("polls-20k", Option("polls", 20_000)), topology, HeldPollsScenario.ScenarioName20k)),
    ("throughput", () => ThroughputScenario.RunAsync(Option("clients", 1000), Option("events", 60_000), Option("rate", ThroughputScenario.DefaultRate), Option("in-flight", ThroughputScenario.DefaultInFlight), Option("warmup-events", 30_000), topology)),
};
if (scenario == "cluster")
{
    await ClusterScenario.RunAsync(new ClusterScenario.Sizes(Option("latency-events", 300), Option("spacing-ms", 20), Option("polls", 2000),
        Option("clients", 1000), Option("events", 20_000), Option("rate", 6000), Option("in-flight", 16), Option("warmup-events", 10_000),
        Option("failover-channels", 30), Option("tick-ms", 20), args.Contains("--everysec")));
    Report.PrintTable();
    return 0;
}
if (scenario == "store")
{
    await StoreScenario.RunAsync(Option("clients", 1000), Option("events", 60_000));
    Report.PrintTable();
    return 0;
}
if (scenario == PollCostScenario.ScenarioName)
{
    await PollCostScenario.RunAsync(Option("clients", 200), Option("loops", 64));
    Report.PrintTable();
    return 0;
}
if (scenario == "failover")
{
    await ClusterScenario.RunFailoverAsync(Option("failover-channels", 30), Option("tick-ms", 20));
    Report.PrintTable();
    return 0;
}
foreach (var (name, run) in scenarios)
{
    if (scenario != "all" && scenario != name) continue;
    Report.Progress(name, "starting soketi and the relay");
    try
    {
        await run();
    }
    catch (Exception e)
    {
        // A benchmark reports: a scenario that could not run is a row in the table, not a crash.
        Report.Progress(name, "FAILED TO RUN: " + e);
        Report.Add(new Figure(name, "run", "failed: " + e.GetType().Name + ": " + e.Message.Split('\n')[0], "completes", false));
    }
}
Report.PrintTable();
return 0;
