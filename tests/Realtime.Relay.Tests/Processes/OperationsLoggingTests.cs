using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>The relay's log as an operator's collector reads it: RELAY_LOG_FORMAT=json, readiness changes once.</summary>
public sealed class OperationsLoggingTests
{
    [Fact]
    public async Task Json_logs_are_one_object_per_event_and_a_failing_readiness_probe_warns_once_not_per_probe()
    {
        var env = new Dictionary<string, string?>
        {
            ["PUSHER_ENABLED"] = "true",
            ["PUSHER_APP_ID"] = "app-id",
            ["PUSHER_KEY"] = "app-key",
            ["PUSHER_SECRET"] = "app-secret",
            ["PUSHER_HOST"] = "127.0.0.1",
            ["PUSHER_PORT"] = FreePort.Next().ToString(), // nothing listens: not ready
            ["PUSHER_SCHEME"] = "http",
            ["AUTH_JWT_SECRET"] = TestJwt.Secret,
            ["RELAY_DB_PATH"] = TempDirectory.NewDatabasePath("relay-logs"),
            ["RELAY_LOG_FORMAT"] = "json",
            ["RELAY_NODE_ID"] = "log-node",
        };
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, env);
        using var http = new HttpClient { BaseAddress = new Uri(relay.BaseUrl) };
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);
        // A later, logged request marks the end of what the probes could have logged.
        var marker = "/api/v1/info?marker";
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(marker)).StatusCode);
        await Wait.UntilAsync(() => Task.FromResult(relay.RecentOutput.Contains("\"RequestPath\":\"/api/v1/info\"")),
            TimeSpan.FromSeconds(20), "the marker request in the log");

        var events = relay.RecentOutput.Split('\n').Where(l => l.Trim().Length > 0).Select(l => JObject.Parse(l)).ToList();
        Assert.Single(events, e => (string?)e["RequestPath"] == "/api/v1/info"); // each event once
        Assert.All(events, e => Assert.Equal("log-node", (string?)e["NodeId"])); // which node wrote it
        Assert.Single(events, e => (string?)e["Check"] == "pusher_connection");
        var notReady = Assert.Single(events, e => (string?)e["Check"] == "pusher");
        Assert.Equal("Warning", (string?)notReady["@l"]);
        // No request line per probe (the warning itself carries the probe's RequestPath from the log context).
        Assert.DoesNotContain(events, e => (string?)e["RequestPath"] == "/readyz" && (string?)e["SourceContext"] != "Realtime.Relay.Meta.ReadinessLog");
        var errors = events.Where(e => (string?)e["@l"] is "Error" or "Fatal").ToList();
        Assert.True(errors.Count == 0, "errors logged:\n" + string.Join("\n", errors));
    }
}
