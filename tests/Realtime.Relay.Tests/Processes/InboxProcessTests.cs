using System.Diagnostics;
using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// The inbox as Roblox sees it, with everything real: the relay process, soketi, the official
/// pusher Node SDK as the backend and pusher-js as the dashboard.
/// </summary>
public sealed class InboxProcessTests(SoketiAndRelay env) : IClassFixture<SoketiAndRelay>
{
    [Fact]
    public async Task An_event_the_backend_triggers_to_the_plugin_channel_comes_back_by_long_poll_in_the_design_envelope()
    {
        var plugin = await PairedPlugin.PairAsync(env.Relay.BaseUrl);
        await env.UntilPusherHasAsync(plugin.Channel);
        await new PusherNodeBackend(env.Soketi).TriggerAsync(plugin.Channel, "content-ready", new { lesson = "Volcanoes", parts = 3 });

        using var http = plugin.Client(env.Relay.BaseUrl);
        var answer = await http.PollEventsAsync(plugin.BasePath);
        var e = Assert.Single((JArray)answer["events"]!);
        Assert.Equal(1, (long)e["seq"]!);
        Assert.Equal(plugin.Channel, (string?)e["channel"]);
        Assert.Equal("content-ready", (string?)e["event"]);
        Assert.Equal("Volcanoes", (string?)e["data"]!["lesson"]);
        Assert.NotNull(e["at"]);
        Assert.Equal(1, (long)answer["next"]!);
        Assert.False((bool)answer["gap"]!);
    }

    [Fact]
    public async Task A_poll_with_no_events_is_held_for_wait_seconds()
    {
        var plugin = await PairedPlugin.PairAsync(env.Relay.BaseUrl);
        using var http = plugin.Client(env.Relay.BaseUrl);
        var clock = Stopwatch.StartNew();
        var answer = await http.PollEventsAsync(plugin.BasePath, wait: 3);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.9), $"answered after {clock.Elapsed}");
        Assert.Empty((JArray)answer["events"]!);
    }

    [Fact]
    public async Task Sse_delivers_and_resumes_from_Last_Event_ID()
    {
        var plugin = await PairedPlugin.PairAsync(env.Relay.BaseUrl);
        await env.UntilPusherHasAsync(plugin.Channel);
        var backend = new PusherNodeBackend(env.Soketi);
        for (var i = 1; i <= 3; i++) await backend.TriggerAsync(plugin.Channel, "step", new { i });

        using var http = plugin.Client(env.Relay.BaseUrl);
        var first = await ReadSseAsync(http, plugin, lastEventId: null, count: 3);
        Assert.Equal(new[] { "1", "2", "3" }, first.Select(f => f.Id));
        await backend.TriggerAsync(plugin.Channel, "step", new { i = 4 });
        var resumed = await ReadSseAsync(http, plugin, lastEventId: "3", count: 1);
        Assert.Equal("4", resumed[0].Id);
        Assert.Equal(4, (int)resumed[0].Envelope["data"]!["i"]!);
    }

    private static async Task<List<(string Id, JObject Envelope)>> ReadSseAsync(HttpClient http, PairedPlugin plugin, string? lastEventId, int count)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, plugin.BasePath + "/stream");
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        using var res = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", res.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await res.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var frames = new List<(string, JObject)>();
        string? id = null;
        while (frames.Count < count)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
            if (line.StartsWith("id: ")) id = line[4..];
            else if (line.StartsWith("data: ")) frames.Add((id!, JObject.Parse(line[6..])));
        }
        return frames;
    }

    [Fact]
    public async Task A_client_event_pusher_js_sends_on_the_plugin_channel_reaches_the_inbox()
    {
        var plugin = await PairedPlugin.PairAsync(env.Relay.BaseUrl, ownerId: "owner-ce");
        await env.UntilPusherHasAsync(plugin.Channel);
        await using var dashboard = await env.DashboardAsync("owner-ce", "educator");
        Assert.Equal("subscribed", (string?)(await dashboard.SubscribeAsync(plugin.Channel))["type"]);
        dashboard.TriggerClientEvent(plugin.Channel, "client-nudge", new { text = "look at the map" });

        using var http = plugin.Client(env.Relay.BaseUrl);
        var answer = await http.PollEventsAsync(plugin.BasePath);
        var e = Assert.Single((JArray)answer["events"]!);
        Assert.Equal("client-nudge", (string?)e["event"]);
        Assert.Equal("look at the map", (string?)e["data"]!["text"]);
    }

    [Fact]
    public async Task One_plugins_token_cannot_read_another_plugins_inbox()
    {
        var alice = await PairedPlugin.PairAsync(env.Relay.BaseUrl);
        var bob = await PairedPlugin.PairAsync(env.Relay.BaseUrl);
        using var aliceHttp = alice.Client(env.Relay.BaseUrl);
        Assert.Equal(HttpStatusCode.Forbidden, (await aliceHttp.GetAsync(bob.BasePath + "/events?wait=0")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await aliceHttp.GetAsync(bob.BasePath + "/stream")).StatusCode);
    }

    [Fact]
    public async Task An_event_stored_before_kill_9_is_delivered_after_restart_and_nothing_acknowledged_comes_back()
    {
        var dbPath = TempDirectory.NewDatabasePath("relay-kill");
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, RelayProcess.EnvironmentFor(env.Soketi, dbPath));
        var plugin = await PairedPlugin.PairAsync(relay.BaseUrl);
        await env.UntilPusherHasAsync(plugin.Channel);
        var backend = new PusherNodeBackend(env.Soketi);
        using var http = plugin.Client(relay.BaseUrl);
        for (var i = 1; i <= 3; i++) await backend.TriggerAsync(plugin.Channel, "e" + i, new { i });
        var before = await http.PollEventsAsync(plugin.BasePath);
        while (((JArray)before["events"]!).Count < 3) before = await http.PollEventsAsync(plugin.BasePath); // all three stored
        await http.PollEventsAsync(plugin.BasePath, after: 2, wait: 0); // handled 1 and 2
        await backend.TriggerAsync(plugin.Channel, "e4", new { i = 4 });
        await Wait.UntilAsync(async () => ((JArray)(await http.PollEventsAsync(plugin.BasePath, after: 2, wait: 1))["events"]!).Count == 2,
            Patience.Step, "e4 to be stored"); // after=2 again: acknowledges nothing new

        relay.Kill(); // SIGKILL: no shutdown code runs
        await relay.StartAgainAsync();

        var after = await http.PollEventsAsync(plugin.BasePath, after: 2, wait: 0);
        var events = ((JArray)after["events"]!).ToList();
        Assert.Equal(new[] { 3L, 4L }, events.Where(e => (string?)e["event"] != "relay:gap").Select(e => (long)e["seq"]!));
        Assert.Single(events, e => (string?)e["event"] == "relay:gap"); // what was published while it was down is missed
        var fromZero = await http.PollEventsAsync(plugin.BasePath, after: 0, wait: 0);
        Assert.DoesNotContain(((JArray)fromZero["events"]!).Select(e => (long)e["seq"]!), seq => seq <= 2);
    }
}
