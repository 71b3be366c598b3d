using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Pairing;

/// <summary><c>GET /api/v1/plugins</c>: when each plugin last called, whether it is online, and what waits in its inbox.</summary>
public sealed class PluginActivityTests : IDisposable
{
    private readonly AccountsRelay _relay = new();

    private async Task<JObject> ListedAsync(string pluginId)
    {
        var (status, body) = await _relay.As("teacher-1", "educator").GetJsonAsync("/api/v1/plugins");
        Assert.Equal(HttpStatusCode.OK, status);
        return ((JArray)body["plugins"]!).Cast<JObject>().Single(p => (string?)p["pluginId"] == pluginId);
    }

    [Fact]
    public async Task A_plugin_is_online_after_it_calls_and_offline_a_minute_after_its_last_call()
    {
        var (pluginId, token) = await _relay.PairAsync("teacher-1");
        var never = await ListedAsync(pluginId);
        Assert.Equal(JTokenType.Null, never["lastSeenAt"]!.Type);
        Assert.False((bool)never["online"]!);
        Assert.Equal(0, (long)never["inboxDepth"]!);

        await _relay.WithToken(token).GetAsync($"/api/v1/plugins/{pluginId}/events?wait=0");
        var seen = await ListedAsync(pluginId);
        Assert.True((bool)seen["online"]!);
        Assert.Equal(_relay.Time.GetUtcNow(), (DateTimeOffset)seen["lastSeenAt"]!);

        _relay.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.False((bool)(await ListedAsync(pluginId))["online"]!);
    }

    public void Dispose() => _relay.Dispose();
}
