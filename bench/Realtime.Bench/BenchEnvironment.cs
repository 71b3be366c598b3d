using System.Diagnostics;
using Realtime.Pusher;
using Realtime.Pusher.Rest;
using Realtime.Testing;

namespace Realtime.Bench;

/// <summary>
/// One scenario's world: a fresh soketi and fresh relays (the Release build of
/// Realtime.Relay.dll, Production environment) as child processes on loopback ports, plus the
/// backend's REST client. By default one relay on its own LiteDB file in a temp directory; a
/// <see cref="Topology"/> on Redis adds a redis-server and, for several nodes, haproxy in front
/// (deploy/haproxy-cluster.cfg.template, as make dev-cluster fills it): <see cref="RelayUrl"/> is then the front.
/// </summary>
public sealed class BenchEnvironment : IAsyncDisposable
{
    private readonly string _dataDir;
    private readonly List<RelayNode> _relays;
    private readonly ManagedProcess? _front;

    private BenchEnvironment(SoketiServer soketi, RedisServer? redis, List<RelayNode> relays, ManagedProcess? front, string url, string dataDir)
    {
        Soketi = soketi;
        Redis = redis;
        _relays = relays;
        _front = front;
        RelayUrl = url;
        _dataDir = dataDir;
        PusherOptions = new PusherOptions
        {
            AppId = soketi.Settings.AppId, Key = soketi.Settings.Key, Secret = soketi.Settings.Secret,
            Host = soketi.Host, Port = soketi.Port, Scheme = "http",
        };
        Backend = new PusherRestClient(PusherOptions);
    }

    public SoketiServer Soketi { get; }
    public RedisServer? Redis { get; }
    public IReadOnlyList<RelayNode> Relays => _relays;
    /// <summary>Where clients go: the only relay, or haproxy in front of several.</summary>
    public string RelayUrl { get; }
    public PusherOptions PusherOptions { get; }
    public PusherRestClient Backend { get; }

    /// <summary>
    /// The Release relay of this checkout, or BENCH_RELAY_DLL (another build, e.g. a copy of the
    /// one before a change, to compare two builds with the same bench back to back).
    /// </summary>
    public static string RelayDll(string configuration = "Release") =>
        Environment.GetEnvironmentVariable("BENCH_RELAY_DLL") is { Length: > 0 } other
            ? Path.GetFullPath(other)
            : Path.Combine(RepoPaths.Root, "server", "Realtime.Relay", "bin", configuration, "net10.0", "Realtime.Relay.dll");

    /// <summary>
    /// Where each relay also listens for cleartext HTTP/2 (prior knowledge) when the scenario
    /// asked for it (<see cref="StartAsync"/>'s <c>http2</c>), else null.
    /// </summary>
    public string? Http2Url { get; private init; }

    public static async Task<BenchEnvironment> StartAsync(Topology? topology = null, bool http2 = false)
    {
        topology ??= Topology.LiteDb;
        var dll = RelayDll();
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: build Release first (make bench does).");
        // A direct subscriber needs no sign-in for public channels; the relay signs in anyway.
        var soketi = await SoketiServer.StartAsync(new SoketiSettings { UserAuthentication = false });
        var dataDir = Path.Combine(Path.GetTempPath(), "realtime-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDir);
        RedisServer? redis = null;
        var relays = new List<RelayNode>();
        ManagedProcess? front = null;
        try
        {
            if (topology.OnRedis)
            {
                redis = await RedisServer.StartAsync(Directory.CreateDirectory(Path.Combine(dataDir, "redis")).FullName);
                if (topology.AppendFsync != "always") await RedisCommands.RunAsync(redis, "CONFIG", "SET", "appendfsync", topology.AppendFsync);
            }
            for (var n = 1; n <= topology.Nodes; n++)
                relays.Add(StartRelay(dll, soketi, redis, $"relay-{n}", Path.Combine(dataDir, $"relay-{n}.db"), http2));
            foreach (var relay in relays) await WaitReadyAsync(relay.Process, relay.Url, relay.NodeId);
            var url = relays[0].Url;
            if (topology.Nodes > 1)
            {
                var frontPort = FreePort.Next();
                // The front make dev-cluster and the cluster test run (deploy/haproxy-cluster.cfg.template).
                var config = HaproxyServer.Configuration(frontPort, FreePort.Next(), relays.Select(r => new Uri(r.Url).Port).ToList());
                var configPath = Path.Combine(dataDir, "haproxy.cfg");
                File.WriteAllText(configPath, config);
                front = new ManagedProcess("haproxy", ["-db", "-f", configPath]);
                url = $"http://127.0.0.1:{frontPort}";
                await WaitReadyAsync(front, url, "haproxy");
            }
            return new BenchEnvironment(soketi, redis, relays, front, url, dataDir) { Http2Url = http2 ? relays[0].Http2Url : null };
        }
        catch
        {
            front?.Dispose();
            foreach (var relay in relays) relay.Process.Dispose();
            if (redis is not null) await redis.DisposeAsync();
            await soketi.StopAsync();
            await soketi.DisposeAsync();
            throw;
        }
    }

    private static RelayNode StartRelay(string dll, SoketiServer soketi, RedisServer? redis, string nodeId, string dbPath, bool http2)
    {
        var port = FreePort.Next();
        var env = RelayProcess.EnvironmentFor(soketi, dbPath);
        string? http2Url = null;
        if (http2)
        {
            // Kestrel speaks cleartext HTTP/2 only on an endpoint that speaks nothing else:
            // two named endpoints (configuration, as an operator would set them) instead of ASPNETCORE_URLS.
            http2Url = $"http://127.0.0.1:{FreePort.Next()}";
            env["Kestrel__Endpoints__Http1__Url"] = $"http://127.0.0.1:{port}";
            env["Kestrel__Endpoints__Http2__Url"] = http2Url;
            env["Kestrel__Endpoints__Http2__Protocols"] = "Http2";
        }
        else env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        env["ASPNETCORE_ENVIRONMENT"] = "Production"; // as deployed (RelayProcess runs tests in Development)
        foreach (var (name, value) in DeployedRuntime.Settings()) env[name] = value; // e.g. the GC's gen-0 budget
        env["DOTNET_NOLOGO"] = "1";
        // The scenarios put thousands of sessions in one game; the per-game cap (200 by default) protects a real fleet.
        env["Relay__MaxSessionsPerGame"] = "100000";
        if (redis is not null)
        {
            env["RELAY_STORE"] = "redis";
            env["RELAY_REDIS"] = redis.ConfigurationString;
            env["RELAY_NODE_ID"] = nodeId;
            env["RELAY_TRUSTED_PROXIES"] = "127.0.0.1";
        }
        // BENCH_RELAY_ENV="NAME=value;NAME2=value" sets variables for the relays only (e.g. a runtime knob compared
        // against the same build without it), not for the bench's own process.
        foreach (var pair in (Environment.GetEnvironmentVariable("BENCH_RELAY_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq > 0) env[pair[..eq].Trim()] = pair[(eq + 1)..];
        }
        var shown = 0;
        // BENCH_NODE_LOGS=dir keeps each node's whole log (dir/<node id>.log): a figure's story, line by line.
        var logDir = Environment.GetEnvironmentVariable("BENCH_NODE_LOGS");
        StreamWriter? fullLog = null;
        if (!string.IsNullOrEmpty(logDir))
        {
            Directory.CreateDirectory(logDir);
            fullLog = new StreamWriter(Path.Combine(logDir, nodeId + ".log"), append: false) { AutoFlush = true };
        }
        return new RelayNode(nodeId, $"http://127.0.0.1:{port}", http2Url, new ManagedProcess("dotnet", [dll], env, onStdoutLine: line =>
        {
            if (fullLog is not null) lock (fullLog) fullLog.WriteLine(line);
            // A relay's warnings and errors explain a figure (a lost event, a slow store): show the first few.
            if (!IsWarningOrError(line) || Interlocked.Increment(ref shown) > 30) return;
            Console.WriteLine($"    {nodeId} log: {(line.Length > 400 ? line[..400] + "…" : line)}");
        }));
    }

    private static bool IsWarningOrError(string line) =>
        line.Contains("\"@l\":\"Warning\"", StringComparison.Ordinal) || line.Contains("\"@l\":\"Error\"", StringComparison.Ordinal) ||
        line.Contains("\"@l\":\"Fatal\"", StringComparison.Ordinal) || line.Contains("[WRN]", StringComparison.Ordinal) ||
        line.Contains("[ERR]", StringComparison.Ordinal) || line.Contains("[FTL]", StringComparison.Ordinal);

    private static async Task WaitReadyAsync(ManagedProcess process, string url, string what)
    {
        try
        {
            await Wait.UntilAsync(async () => process.HasExited
                    ? throw new InvalidOperationException(what + " exited with code " + process.ExitCode)
                    : await Wait.HttpOkAsync(url + "/readyz"),
                TimeSpan.FromSeconds(30), $"{what}'s /readyz (store open, Pusher connected)");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new TimeoutException(e.Message + "\n" + process.RecentOutput, e);
        }
    }

    /// <summary>The relays' resident sets (VmRSS) and peaks (VmHWM), summed over live nodes, in bytes.</summary>
    public (long Rss, long Peak) RelayMemory()
    {
        long rss = 0, peak = 0;
        foreach (var relay in _relays.Where(r => !r.Process.HasExited))
        {
            try
            {
                var (r, p) = ProcStats.Memory(relay.Process.Id);
                rss += r;
                peak += p;
            }
            catch (IOException) { } // it just died (the failover run kills one)
        }
        return (rss, peak);
    }

    /// <summary>
    /// A Prometheus counter of the relays' /metrics, summed over live nodes (e.g. <c>relay_pusher_events_received_total</c>):
    /// where a missing event went — never heard from Pusher, or heard and not stored.
    /// </summary>
    public async Task<double> RelayCounterAsync(string name)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var total = 0.0;
        foreach (var relay in _relays.Where(r => !r.Process.HasExited))
            total += PrometheusText.Sum(await http.GetStringAsync(relay.Url + "/metrics"), name);
        return total;
    }

    /// <summary>
    /// The relays' garbage collector so far (summed), from the runtime's counters on /metrics: what a figure's time went
    /// to when it was not the relay's own code. Null when a relay has exited, could not be read or lacks a counter: a
    /// sum over fewer relays, or a counter read as 0, would make a difference between two samples wrong.
    /// </summary>
    public async Task<GcSample?> RelayGcAsync()
    {
        string[] names =
        [
            "system_runtime_dotnet_gc_heap_total_allocated",
            "dotnet_collection_count_total{generation=\"0\"}",
            "dotnet_collection_count_total{generation=\"1\"}",
            "dotnet_collection_count_total{generation=\"2\"}",
            "system_runtime_dotnet_gc_pause_time",
        ];
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var totals = new double[names.Length];
        foreach (var relay in _relays)
        {
            if (relay.Process.HasExited) return null;
            string text;
            try { text = await http.GetStringAsync(relay.Url + "/metrics"); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; } // a figure, not a reason to stop
            for (var i = 0; i < names.Length; i++)
            {
                if (PrometheusText.Value(text, names[i]) is not { } value) return null;
                totals[i] += value;
            }
        }
        return new GcSample((long)totals[0], (long)totals[1], (long)totals[2], (long)totals[3], totals[4]);
    }

    /// <summary>CPU seconds (user + system) used so far by the relays (summed), soketi and this process.</summary>
    public CpuSample Cpu() => new(
        _relays.Sum(r => ProcStats.CpuSeconds(r.Process.Id)),
        Soketi.ProcessId is { } s ? ProcStats.CpuSeconds(s) : 0,
        ProcStats.CpuSeconds(Environment.ProcessId),
        Stopwatch.GetTimestamp());

    public async ValueTask DisposeAsync()
    {
        Backend.Dispose();
        _front?.Dispose();
        foreach (var relay in _relays) await relay.Process.StopAsync(TimeSpan.FromSeconds(10));
        if (Redis is not null) await Redis.DisposeAsync();
        await Soketi.StopAsync();
        await Soketi.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// The relays' GC counters at one moment: bytes allocated, collections (as the runtime counts them: every collection
/// counts in generation 0, those of generation 1 or 2 also in 1, those of 2 also in 2) and seconds paused.
/// </summary>
public sealed record GcSample(long Allocated, long Collections, long Gen1OrHigher, long Gen2, double PausedSeconds)
{
    /// <summary>What happened between two samples, as one line; "n/a" when either could not be taken.</summary>
    public static string Between(GcSample? start, GcSample? end) => start is null || end is null
        ? "n/a (a relay's /metrics could not be read)"
        : $"{(end.Allocated - start.Allocated) / (1024.0 * 1024):0} MiB allocated, {end.Collections - start.Collections} collections " +
          $"(of gen 1 or 2: {end.Gen1OrHigher - start.Gen1OrHigher}, of gen 2: {end.Gen2 - start.Gen2}), {end.PausedSeconds - start.PausedSeconds:0.00} s paused";
}

/// <summary>One relay process and the node id it runs as (RELAY_NODE_ID on Redis).</summary>
public sealed record RelayNode(string NodeId, string Url, string? Http2Url, ManagedProcess Process);

/// <summary>
/// What a scenario runs against: one relay on LiteDB (the default), or <see cref="Nodes"/> relays
/// on one redis-server whose append-only file is fsynced as <see cref="AppendFsync"/> says.
/// </summary>
public sealed record Topology(string Label, bool OnRedis, int Nodes, string AppendFsync)
{
    public static readonly Topology LiteDb = new("litedb", false, 1, "");

    public static Topology Redis(int nodes, string appendFsync) =>
        new(nodes == 1 ? $"redis {appendFsync}" : $"{nodes} nodes, redis {appendFsync}", true, nodes, appendFsync);
}

public readonly record struct CpuSample(double Relay, double Soketi, double Bench, long At)
{
    /// <summary>"relay 1.52 cores, soketi 0.31, bench 0.40" over the interval since <paramref name="start"/>.</summary>
    public string Since(CpuSample start)
    {
        var seconds = Stopwatch.GetElapsedTime(start.At, At).TotalSeconds;
        if (seconds <= 0) return "n/a";
        return $"relay {(Relay - start.Relay) / seconds:0.00}, soketi {(Soketi - start.Soketi) / seconds:0.00}, " +
               $"bench {(Bench - start.Bench) / seconds:0.00} cores (of {Environment.ProcessorCount})";
    }
}

/// <summary>Reads a process's memory and CPU time from /proc (Linux).</summary>
public static class ProcStats
{
    private static readonly double TicksPerSecond = 100; // USER_HZ: 100 on every Linux this runs on

    public static (long Rss, long Peak) Memory(int pid)
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = KiB(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = KiB(line);
        }
        return (rss, peak);

        static long KiB(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    public static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after "(comm)": state is field 3, utime 14, stime 15.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(rest[11]) + long.Parse(rest[12])) / TicksPerSecond;
        }
        catch (IOException) { return 0; }
    }

    public static string MiB(long bytes) => $"{bytes / (1024.0 * 1024.0):0} MiB";
}
