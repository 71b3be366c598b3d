namespace Realtime.Testing;

/// <summary>
/// Debian's haproxy (installed by scripts/ensure-deps.sh) on a free loopback port, configured from
/// deploy/haproxy-cluster.cfg.template: the same front <c>make dev-cluster</c> runs
/// (round-robin, no stickiness, long-poll and SSE timeouts, redispatch on a refused connection).
/// </summary>
public sealed class HaproxyServer : IAsyncDisposable
{
    private readonly ManagedProcess _process;

    private HaproxyServer(int port, ManagedProcess process)
    {
        Port = port;
        _process = process;
    }

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public string RecentOutput => _process.RecentOutput;

    /// <summary>A free port for the front, to be known before the relays start (they are told their public URL).</summary>
    public static int NextPort() => FreePort.Next();

    /// <summary>Starts haproxy on <paramref name="port"/> in front of <paramref name="relayPorts"/> and waits until it answers /healthz.</summary>
    public static async Task<HaproxyServer> StartAsync(int port, IReadOnlyList<int> relayPorts)
    {
        const string bin = "/usr/sbin/haproxy";
        if (!File.Exists(bin))
            throw new InvalidOperationException($"haproxy is not installed at {bin}: run scripts/ensure-deps.sh (it installs Debian's haproxy).");
        var directory = TempDirectory.New("haproxy");
        var configPath = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(configPath, Configuration(port, FreePort.Next(), relayPorts));
        var process = new ManagedProcess(bin, ["-db", "-f", configPath], workingDirectory: directory);
        try
        {
            await Wait.UntilAsync(() => process.HasExited
                    ? throw new InvalidOperationException("haproxy exited with code " + process.ExitCode)
                    : Wait.HttpOkAsync($"http://127.0.0.1:{port}/healthz"),
                Patience.Step, $"haproxy on port {port}");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            var output = process.RecentOutput;
            process.Dispose(); // the caller never gets this object to dispose: a failed start must not leave a process behind
            throw new TimeoutException(e.Message + "\n" + output, e);
        }
        return new HaproxyServer(port, process);
    }

    /// <summary>The template filled as scripts/dev-cluster.sh fills it.</summary>
    public static string Configuration(int port, int statsPort, IReadOnlyList<int> relayPorts)
    {
        var template = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "haproxy-cluster.cfg.template"));
        var servers = string.Concat(relayPorts.Select((p, i) => $"    server relay-{i + 1} 127.0.0.1:{p} check\n"));
        return template.Replace("@SERVERS@\n", servers).Replace("@LB_PORT@", port.ToString()).Replace("@STATS_PORT@", statsPort.ToString());
    }

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
