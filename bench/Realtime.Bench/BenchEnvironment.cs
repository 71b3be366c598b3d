using System.Diagnostics;
using Realtime.Pusher;
using Realtime.Pusher.Rest;
using Realtime.Testing;

namespace Realtime.Bench;

/// <summary>
/// One scenario's world: a fresh soketi and a fresh relay (the Release build of
/// Realtime.Relay.dll, Production environment, its own LiteDB file in a temp directory),
/// both as child processes on loopback ports, plus the backend's REST client.
/// </summary>
public sealed class BenchEnvironment : IAsyncDisposable
{
    private readonly string _dataDir;

    private BenchEnvironment(SoketiServer soketi, ManagedProcess relay, int relayPort, string dataDir)
    {
        Soketi = soketi;
        Relay = relay;
        RelayUrl = $"http://127.0.0.1:{relayPort}";
        _dataDir = dataDir;
        PusherOptions = new PusherOptions
        {
            AppId = soketi.Settings.AppId, Key = soketi.Settings.Key, Secret = soketi.Settings.Secret,
            Host = soketi.Host, Port = soketi.Port, Scheme = "http",
        };
        Backend = new PusherRestClient(PusherOptions);
    }

    public SoketiServer Soketi { get; }
    public ManagedProcess Relay { get; }
    public string RelayUrl { get; }
    public PusherOptions PusherOptions { get; }
    public PusherRestClient Backend { get; }

    public static string RelayDll(string configuration = "Release") =>
        Path.Combine(RepoPaths.Root, "server", "Realtime.Relay", "bin", configuration, "net10.0", "Realtime.Relay.dll");

    public static async Task<BenchEnvironment> StartAsync()
    {
        var dll = RelayDll();
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: build Release first (make bench does).");
        // A direct subscriber needs no sign-in for public channels; the relay signs in anyway.
        var soketi = await SoketiServer.StartAsync(new SoketiSettings { UserAuthentication = false });
        var dataDir = Path.Combine(Path.GetTempPath(), "realtime-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDir);
        var port = FreePort.Next();
        var env = RelayProcess.EnvironmentFor(soketi, Path.Combine(dataDir, "relay.db"));
        env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        env["ASPNETCORE_ENVIRONMENT"] = "Production"; // as deployed (RelayProcess runs tests in Development)
        env["DOTNET_NOLOGO"] = "1";
        // The scenarios put thousands of sessions in one game; the per-game cap (200 by default) protects a real fleet.
        env["Relay__MaxSessionsPerGame"] = "100000";
        var relay = new ManagedProcess("dotnet", [dll], env);
        var world = new BenchEnvironment(soketi, relay, port, dataDir);
        try
        {
            await Wait.UntilAsync(async () => relay.HasExited
                    ? throw new InvalidOperationException("relay exited with code " + relay.ExitCode)
                    : await Wait.HttpOkAsync(world.RelayUrl + "/readyz"),
                TimeSpan.FromSeconds(30), "the relay's /readyz (LiteDB open, Pusher connected)");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            await world.DisposeAsync();
            throw new TimeoutException(e.Message + "\n" + relay.RecentOutput, e);
        }
        return world;
    }

    /// <summary>The relay's resident set (VmRSS) and its peak (VmHWM), in bytes.</summary>
    public (long Rss, long Peak) RelayMemory() => ProcStats.Memory(Relay.Id);

    /// <summary>CPU seconds (user + system) used so far by the relay, soketi and this process.</summary>
    public CpuSample Cpu() => new(
        ProcStats.CpuSeconds(Relay.Id),
        Soketi.ProcessId is { } s ? ProcStats.CpuSeconds(s) : 0,
        ProcStats.CpuSeconds(Environment.ProcessId),
        Stopwatch.GetTimestamp());

    public async ValueTask DisposeAsync()
    {
        Backend.Dispose();
        await Relay.StopAsync(TimeSpan.FromSeconds(10));
        await Soketi.StopAsync();
        await Soketi.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
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
