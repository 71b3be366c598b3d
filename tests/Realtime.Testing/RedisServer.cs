using System.Net.Sockets;
using System.Text;

namespace Realtime.Testing;

/// <summary>
/// A real redis-server (Debian's, installed by scripts/ensure-deps.sh) on a free loopback port,
/// with append-only persistence in a scratch folder, so a restart keeps what was acknowledged.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/redis-server";
    private ManagedProcess? _process;

    private RedisServer(int port, string directory)
    {
        Port = port;
        Directory = directory;
    }

    public int Port { get; }
    public string Directory { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string ConfigurationString => $"127.0.0.1:{Port},abortConnect=false,connectRetry=5";

    public string RecentOutput => _process?.RecentOutput ?? "";

    public static async Task<RedisServer> StartAsync()
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException($"redis-server is not installed at {Binary}: run scripts/ensure-deps.sh.");
        var server = new RedisServer(FreePort.Next(), TempDirectory.New("redis"));
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Stops the server (SIGTERM: it writes its append-only file) and starts it again on the same port and folder.</summary>
    public async Task RestartAsync()
    {
        if (_process is not null) await _process.StopAsync(TimeSpan.FromSeconds(10));
        _process?.Dispose();
        await StartProcessAsync();
    }

    private async Task StartProcessAsync()
    {
        _process = new ManagedProcess(Binary,
        [
            "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", Directory,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
        ]);
        await Wait.UntilAsync(PingAsync, Patience.Step, $"redis-server on port {Port} to answer PING: {RecentOutput}");
    }

    private async Task<bool> PingAsync()
    {
        if (_process is not { HasExited: false }) throw new InvalidOperationException("redis-server exited: " + RecentOutput);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("PING\r\n"));
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        await _process.StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
        _process = null;
    }
}
