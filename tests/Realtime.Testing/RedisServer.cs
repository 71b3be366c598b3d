using System.Net.Sockets;
using System.Text;

namespace Realtime.Testing;

/// <summary>
/// A real redis-server (Debian's package, installed by scripts/ensure-deps.sh) on a free loopback
/// port, with its data in a temp folder: append-only file on, fsync on every write
/// (<c>appendfsync always</c>), no RDB snapshots, nothing written outside that folder. It can be
/// killed and started again on the same port and folder, to show what survives a restart.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private ManagedProcess? _process;

    private RedisServer(int port, string directory)
    {
        Port = port;
        Directory = directory;
    }

    public int Port { get; }
    public string Host => "127.0.0.1";
    /// <summary>The folder holding the append-only file.</summary>
    public string Directory { get; }
    /// <summary>A StackExchange.Redis configuration string for this server (what RELAY_REDIS takes).</summary>
    public string ConfigurationString => $"{Host}:{Port}";
    public bool IsRunning => _process is { HasExited: false };
    public string RecentOutput => _process?.RecentOutput ?? "";

    public static async Task<RedisServer> StartAsync(string? directory = null)
    {
        var server = new RedisServer(FreePort.Next(), directory ?? TempDirectory.New("redis"));
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the process (again) on the same port and folder; it loads the append-only file there.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning) return;
        const string bin = "/usr/bin/redis-server";
        if (!File.Exists(bin))
            throw new InvalidOperationException($"redis-server is not installed at {bin}: run scripts/ensure-deps.sh (it installs Debian's redis-server).");
        _process = new ManagedProcess(bin,
        [
            "--port", Port.ToString(), "--bind", Host, "--dir", Directory,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--daemonize", "no", "--protected-mode", "no", "--logfile", "",
        ], workingDirectory: Directory);
        try
        {
            await Wait.UntilAsync(PingAsync, Patience.Step, $"redis-server on port {Port}");
        }
        catch (TimeoutException e)
        {
            var output = _process.RecentOutput;
            _process.Dispose(); // the caller never gets this object to dispose: a failed start must not leave a process behind
            throw new TimeoutException(e.Message + "\n" + output, e);
        }
    }

    /// <summary>
    /// Kills the process (SIGKILL: no clean shutdown, so only what was fsynced survives) and
    /// starts it again on the same port and folder.
    /// </summary>
    public async Task RestartAsync()
    {
        Kill();
        await StartAgainAsync();
    }

    /// <summary>Ends the process at once (SIGKILL): clients see the connection drop.</summary>
    public void Kill() => _process?.Kill();

    /// <summary>Whether the server answers PING with PONG (plain RESP over TCP).</summary>
    public async Task<bool> PingAsync()
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await client.ConnectAsync(Host, Port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), cts.Token);
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer, cts.Token);
        return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
