using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Testing;

namespace Realtime.Relay.Tests;

/// <summary>
/// The relay in-process with its own settings and a fresh database file per instance.
/// Settings use the same names as the environment variables in production.
/// </summary>
public sealed class RelayFactory : WebApplicationFactory<Program>
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "relay-test-" + Guid.NewGuid().ToString("N"));

    private readonly Action<IServiceCollection>? _services;

    /// <param name="overrides">Settings, by their environment-variable or configuration names.</param>
    /// <param name="services">Replaces services after the relay registered its own (e.g. a fake TimeProvider).</param>
    public RelayFactory(IDictionary<string, string?>? overrides = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        Settings = new Dictionary<string, string?>
        {
            ["PUSHER_ENABLED"] = "true",
            ["PUSHER_APP_ID"] = "app-id",
            ["PUSHER_KEY"] = "app-key",
            ["PUSHER_SECRET"] = "app-secret",
            ["PUSHER_HOST"] = "127.0.0.1",
            ["PUSHER_PORT"] = "1", // nothing listens: in-process tests do not reach Pusher
            ["PUSHER_SCHEME"] = "http",
            ["AUTH_JWT_SECRET"] = TestJwt.Secret,
            ["RELAY_DB_PATH"] = Path.Combine(_dataDir, "relay.db"),
        };
        foreach (var (k, v) in overrides ?? new Dictionary<string, string?>()) Settings[k] = v;
    }

    public Dictionary<string, string?> Settings { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in Settings) builder.UseSetting(k, v);
        builder.UseEnvironment("Development");
        if (_services is not null) builder.ConfigureTestServices(_services);
    }

    public HttpClient ClientAs(string sub, string role, IEnumerable<string>? classes = null)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestJwt.For(sub, role, classes: classes));
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try { Directory.Delete(_dataDir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
