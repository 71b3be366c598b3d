namespace Realtime.Testing;

/// <summary>Settings for a soketi instance; the defaults are the repository's <c>soketi.env</c> (<see cref="SoketiDefinition"/>).</summary>
public sealed record SoketiSettings
{
    public string AppId { get; init; } = SoketiDefinition.Value("SOKETI_DEFAULT_APP_ID");
    public string Key { get; init; } = SoketiDefinition.Value("SOKETI_DEFAULT_APP_KEY");
    public string Secret { get; init; } = SoketiDefinition.Value("SOKETI_DEFAULT_APP_SECRET");
    public bool ClientMessages { get; init; } = SoketiDefinition.Value("SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES") == "true";
    public bool UserAuthentication { get; init; } = SoketiDefinition.Value("SOKETI_DEFAULT_APP_USER_AUTHENTICATION") == "true";
    /// <summary>JSON for SOKETI_DEFAULT_APP_WEBHOOKS, e.g. [{"url":"...","event_types":["channel_occupied"]}].</summary>
    public string? WebhooksJson { get; init; }
    /// <summary>Serve Prometheus metrics (e.g. <c>soketi_connected</c>) on <see cref="SoketiServer.MetricsPort"/>.</summary>
    public bool Metrics { get; init; }
}

/// <summary>
/// A real soketi (Pusher-protocol server) on a free loopback port. Can be stopped,
/// killed and started again on the same port, for reconnection tests.
/// </summary>
public sealed class SoketiServer : IAsyncDisposable
{
    private ManagedProcess? _process;

    private SoketiServer(SoketiSettings settings, int port, int metricsPort)
    {
        Settings = settings;
        Port = port;
        MetricsPort = metricsPort;
    }

    public SoketiSettings Settings { get; }
    public int Port { get; }
    public int MetricsPort { get; }
    public string Host => "127.0.0.1";
    public string HttpUrl => $"http://{Host}:{Port}";
    public bool IsRunning => _process is { HasExited: false };
    /// <summary>The OS process id while running (benchmarks read its CPU time from /proc).</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;
    public string RecentOutput => _process?.RecentOutput ?? "";

    /// <summary>How our Pusher library reaches this server (optionally with another app key, to test refusals).</summary>
    public Realtime.Pusher.PusherOptions PusherOptions(string? key = null) => new()
    {
        AppId = Settings.AppId,
        Key = key ?? Settings.Key,
        Secret = Settings.Secret,
        Host = Host,
        Port = Port,
        Scheme = "http",
    };

    public static async Task<SoketiServer> StartAsync(SoketiSettings? settings = null)
    {
        var server = new SoketiServer(settings ?? new SoketiSettings(), FreePort.Next(), FreePort.Next());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts (or restarts) the process on the same ports.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning) return;
        var bin = RepoPaths.NodeBin("soketi");
        if (!File.Exists(bin))
            throw new InvalidOperationException($"soketi is not installed at {bin}: run 'npm ci' in {RepoPaths.Root} (make test does).");
        // soketi.env first, then what this instance changes (its ports, app, webhooks).
        var env = SoketiDefinition.Environment.ToDictionary(v => v.Key, string? (v) => v.Value);
        foreach (var (name, value) in new Dictionary<string, string?>
        {
            ["SOKETI_HOST"] = Host,
            ["SOKETI_PORT"] = Port.ToString(),
            ["SOKETI_METRICS_SERVER_PORT"] = MetricsPort.ToString(),
            ["SOKETI_METRICS_ENABLED"] = Settings.Metrics ? "true" : "false",
            ["SOKETI_DEFAULT_APP_ID"] = Settings.AppId,
            ["SOKETI_DEFAULT_APP_KEY"] = Settings.Key,
            ["SOKETI_DEFAULT_APP_SECRET"] = Settings.Secret,
            ["SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES"] = Settings.ClientMessages ? "true" : "false",
            ["SOKETI_DEFAULT_APP_USER_AUTHENTICATION"] = Settings.UserAuthentication ? "true" : "false",
            ["SOKETI_DEFAULT_APP_WEBHOOKS"] = Settings.WebhooksJson,
        }) env[name] = value;
        _process = new ManagedProcess(bin, ["start"], env);
        try
        {
            await Wait.UntilAsync(() => Wait.HttpOkAsync(HttpUrl + "/"), Patience.Step, $"soketi on port {Port}");
        }
        catch (TimeoutException e)
        {
            var output = _process.RecentOutput;
            _process.Dispose(); // the caller never gets this object to dispose: a failed start must not leave a process behind
            throw new TimeoutException(e.Message + "\n" + output, e);
        }
    }

    /// <summary>soketi's count of open WebSocket connections (needs <see cref="SoketiSettings.Metrics"/>).</summary>
    public async Task<int> ConnectedSocketsAsync()
    {
        using var http = new HttpClient();
        return (int)PrometheusText.Sum(await http.GetStringAsync($"http://{Host}:{MetricsPort}/metrics"), "soketi_connected");
    }

    /// <summary>Ends the process at once (SIGKILL): connected clients see the connection drop.</summary>
    public void Kill() => _process?.Kill();

    public async Task StopAsync()
    {
        if (_process is not null) await _process.StopAsync(TimeSpan.FromSeconds(5));
    }

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
