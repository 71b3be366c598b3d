namespace Realtime.Testing;

/// <summary>
/// The relay as a real process (the built Realtime.Relay.dll), on a free loopback port,
/// configured through environment variables exactly as in production.
/// </summary>
public sealed class RelayProcess : IAsyncDisposable
{
    private ManagedProcess? _process;
    private readonly string _dllPath;

    private RelayProcess(string dllPath, IDictionary<string, string?> env, int port)
    {
        _dllPath = dllPath;
        Environment = env;
        Port = port;
    }

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public IDictionary<string, string?> Environment { get; }
    public string RecentOutput => _process?.RecentOutput ?? "";
    public bool HasPrinted(string text) => _process?.HasPrinted(text) ?? false;
    public bool HasExited => _process?.HasExited ?? true;
    public int? ExitCode => _process?.ExitCode;

    /// <summary>The environment a relay needs to talk to <paramref name="soketi"/>.</summary>
    public static Dictionary<string, string?> EnvironmentFor(SoketiServer soketi, string dbPath) => new()
    {
        ["PUSHER_ENABLED"] = "true",
        ["PUSHER_APP_ID"] = soketi.Settings.AppId,
        ["PUSHER_KEY"] = soketi.Settings.Key,
        ["PUSHER_SECRET"] = soketi.Settings.Secret,
        ["PUSHER_HOST"] = soketi.Host,
        ["PUSHER_PORT"] = soketi.Port.ToString(),
        ["PUSHER_SCHEME"] = "http",
        ["AUTH_JWT_SECRET"] = TestJwt.Secret,
        ["RELAY_DB_PATH"] = dbPath,
    };

    /// <summary>
    /// The environment of a relay node on <paramref name="redis"/> (<c>RELAY_STORE=redis</c>, its LiteDB path set but
    /// never opened). Behind a front (<paramref name="frontUrl"/>, haproxy on loopback) it trusts the front's
    /// forwarded headers and allows every pairing start, since they all come from one address.
    /// </summary>
    public static Dictionary<string, string?> RedisNodeEnvironment(SoketiServer soketi, RedisServer redis, string nodeId, string? frontUrl = null)
    {
        var env = EnvironmentFor(soketi, TempDirectory.NewDatabasePath("redis-node-unused"));
        env["RELAY_STORE"] = "redis";
        env["RELAY_REDIS"] = redis.ConfigurationString;
        env["RELAY_NODE_ID"] = nodeId;
        if (frontUrl is not null)
        {
            env["RELAY_PUBLIC_URL"] = frontUrl;
            env["RELAY_TRUSTED_PROXIES"] = "127.0.0.1";
            env["Relay__Pairing__StartsPerMinute"] = "10000";
        }
        return env;
    }

    /// <summary>
    /// A complete, valid environment whose Pusher is unreachable (port 1): for tests of start-up
    /// and storage that need no soketi.
    /// </summary>
    public static Dictionary<string, string?> UnreachablePusherEnvironment(string dbPath) => new()
    {
        ["PUSHER_ENABLED"] = "true",
        ["PUSHER_APP_ID"] = "app-id",
        ["PUSHER_KEY"] = "app-key",
        ["PUSHER_SECRET"] = "app-secret",
        ["PUSHER_HOST"] = "127.0.0.1",
        ["PUSHER_PORT"] = "1",
        ["PUSHER_SCHEME"] = "http",
        ["AUTH_JWT_SECRET"] = TestJwt.Secret,
        ["RELAY_DB_PATH"] = dbPath,
    };

    /// <summary>Starts the relay and waits for /healthz (or for it to exit, e.g. on bad configuration).</summary>
    public static async Task<RelayProcess> StartAsync(string dllPath, IDictionary<string, string?> env, bool waitUntilHealthy = true)
    {
        var relay = new RelayProcess(dllPath, env, FreePort.Next());
        await relay.StartAgainAsync(waitUntilHealthy);
        return relay;
    }

    public async Task StartAgainAsync(bool waitUntilHealthy = true)
    {
        var env = new Dictionary<string, string?>(Environment)
        {
            ["ASPNETCORE_URLS"] = BaseUrl,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_NOLOGO"] = "1",
        };
        _process = new ManagedProcess("dotnet", [_dllPath], env);
        if (!waitUntilHealthy) return;
        try
        {
            await Wait.UntilAsync(async () => _process.HasExited
                    ? throw new InvalidOperationException("relay exited with code " + _process.ExitCode)
                    : await Wait.HttpOkAsync(BaseUrl + "/healthz"),
                Patience.Step, "the relay's /healthz");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            var output = _process.RecentOutput;
            _process.Dispose(); // the caller never gets this object to dispose: a failed start must not leave a process behind
            throw new TimeoutException(e.Message + "\n" + output, e);
        }
    }

    public Task<bool> WaitForExitAsync(TimeSpan timeout) => _process?.WaitForExitAsync(timeout) ?? Task.FromResult(true);

    /// <summary>SIGKILL: no shutdown code runs (for durability tests).</summary>
    public void Kill() => _process?.Kill();

    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(10)) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.StopAsync(TimeSpan.FromSeconds(5));
    }
}
