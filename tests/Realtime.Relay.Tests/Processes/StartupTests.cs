using System.Net;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>The relay process as an operator starts it: bad settings stop it with one line.</summary>
public sealed class StartupTests
{
    private static Dictionary<string, string?> GoodEnvironment() =>
        RelayProcess.UnreachablePusherEnvironment(TempDirectory.NewDatabasePath("relay-start"));

    [Theory]
    [InlineData("PUSHER_SECRET", null, "PUSHER_SECRET is not set")]
    [InlineData("AUTH_JWT_SECRET", null, "AUTH_JWT_SECRET is not set")]
    [InlineData("AUTH_JWT_SECRET", "short", "AUTH_JWT_SECRET is too short")]
    [InlineData("PUSHER_PORT", "seventy", "PUSHER_PORT must be a port number")]
    [InlineData("PUSHER_SCHEME", "ftp", "PUSHER_SCHEME must be http or https")]
    [InlineData("PUSHER_ENABLED", "maybe", "PUSHER_ENABLED must be true or false")]
    [InlineData("RELAY_TRUSTED_PROXIES", "10.0.0.0/33", "RELAY_TRUSTED_PROXIES: '10.0.0.0/33' is not an IP address or a CIDR range")]
    [InlineData("RELAY_TRUSTED_PROXIES", "127.0.0.1, proxy.internal", "RELAY_TRUSTED_PROXIES: 'proxy.internal'")]
    [InlineData("PUSHER_CLUSTER", "https://us2.pusher.com", "PUSHER_CLUSTER must be a Pusher cluster name")]
    [InlineData("PUSHER_CLUSTER", "US 2", "PUSHER_CLUSTER must be a Pusher cluster name")]
    [InlineData("RELAY_CORS_ORIGINS", "https://dash.example.org/app", "RELAY_CORS_ORIGINS must list exact origins")]
    [InlineData("RELAY_CORS_ORIGINS", "https://*.example.org", "RELAY_CORS_ORIGINS must list exact origins")]
    [InlineData("RELAY_LOG_FORMAT", "xml", "RELAY_LOG_FORMAT must be text or json")]
    public async Task A_missing_or_invalid_setting_stops_start_up_with_one_clear_line(string name, string? value, string expected)
    {
        var env = GoodEnvironment();
        env[name] = value;
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, env, waitUntilHealthy: false);
        Assert.True(await relay.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the relay should have stopped");
        Assert.Equal(2, relay.ExitCode);
        var errorLines = relay.RecentOutput.Split('\n').Where(l => l.Contains("configuration error")).ToList();
        var line = Assert.Single(errorLines);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", relay.RecentOutput); // no stack trace
    }

    [Fact]
    public async Task Secrets_from_the_environment_never_reach_the_log()
    {
        var env = GoodEnvironment();
        env["PUSHER_SECRET"] = "very-secret-pusher-value";
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, env);
        using var http = new HttpClient();
        var token = TestJwt.For("u1", "educator");
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var res = await http.PostAsync(relay.BaseUrl + "/api/v1/pusher/auth",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["socket_id"] = "1.1", ["channel_name"] = "presence-game-1" }));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        await relay.StopAsync();
        Assert.Contains("/api/v1/pusher/auth", relay.RecentOutput); // the request was logged…
        Assert.DoesNotContain("very-secret-pusher-value", relay.RecentOutput); // …without secrets
        Assert.DoesNotContain(TestJwt.Secret, relay.RecentOutput);
        Assert.DoesNotContain(token, relay.RecentOutput);
    }
}
