using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Monitoring;

/// <summary><c>/metrics</c>: backlog and population gauges, and refusals by reason.</summary>
public sealed class RelayMetricsTests : IDisposable
{
    private readonly AccountsRelay _relay = new();

    private async Task<string> ScrapeAsync() => await _relay.Anonymous().GetStringAsync("/metrics");

    private static double Value(string metrics, string series)
    {
        var match = Regex.Match(metrics, "^" + Regex.Escape(series) + " ([0-9.eE+-]+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{series} is not in /metrics");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task The_gauges_an_operator_watches_are_exported()
    {
        var metrics = await ScrapeAsync();
        foreach (var gauge in new[] { "relay_outbox_backlog", "relay_inbox_depth_total", "relay_inbox_depth_max", "relay_server_sessions",
                     "relay_plugins_paired", "relay_plugins_online", "relay_pairings_pending" })
            Assert.Contains("# TYPE " + gauge + " gauge", metrics);
    }

    [Fact]
    public async Task Pending_pairings_are_counted_and_leave_the_count_when_decided()
    {
        var started = await _relay.StartAsync();
        Assert.Equal(1, Value(await ScrapeAsync(), "relay_pairings_pending"));
        await _relay.DenyAsync("teacher-1", (string)started["userCode"]!);
        Assert.Equal(0, Value(await ScrapeAsync(), "relay_pairings_pending"));
    }

    [Fact]
    public async Task Refused_credentials_are_counted_by_reason()
    {
        var series = "relay_auth_refusals_total{reason=\"client_token_invalid\"}";
        var before = (await ScrapeAsync()).Contains(series) ? Value(await ScrapeAsync(), series) : 0;
        var res = await _relay.WithToken("rbt_not-a-real-token").GetAsync("/api/v1/plugins/p1/events?wait=0");
        Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
        Assert.True(Value(await ScrapeAsync(), series) > before);
        Assert.DoesNotContain("rbt_not-a-real-token", await ScrapeAsync());
    }

    public void Dispose() => _relay.Dispose();
}
