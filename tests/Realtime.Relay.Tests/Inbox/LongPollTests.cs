using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Inbox;

public sealed class LongPollTests : IDisposable
{
    private readonly RelayFactory _relay = new();
    private readonly InboxHarness _inbox;

    public LongPollTests() => _inbox = new InboxHarness(_relay);

    [Fact]
    public async Task Stored_events_come_back_at_once_in_the_design_envelope()
    {
        var (client, http) = await _inbox.NewClientAsync();
        await _inbox.HeardOnPusherAsync(client.OwnChannel, "generate", "{\"lesson\":\"volcanoes\",\"n\":3}", userId: "u7");
        await _inbox.HeardOnPusherAsync(client.OwnChannel, "note", "plain text, not JSON");

        var answer = await InboxHarness.PollAsync(http, client, wait: 20);
        var events = (JArray)answer["events"]!;
        Assert.Equal(2, events.Count);
        Assert.Equal(1, (long)events[0]["seq"]!);
        Assert.Equal(client.OwnChannel, (string?)events[0]["channel"]);
        Assert.Equal("generate", (string?)events[0]["event"]);
        Assert.Equal("volcanoes", (string?)events[0]["data"]!["lesson"]);
        Assert.Equal(3, (int)events[0]["data"]!["n"]!);
        Assert.Equal("u7", (string?)events[0]["userId"]);
        Assert.True(DateTime.TryParse((string?)events[0]["at"], out _));
        Assert.Equal(JTokenType.String, events[1]["data"]!.Type);
        Assert.Equal("plain text, not JSON", (string?)events[1]["data"]);
        Assert.Null(events[1]["userId"]);
        Assert.Equal(2, (long)answer["next"]!);
        Assert.False((bool)answer["gap"]!);
    }

    [Fact]
    public async Task A_poll_with_nothing_to_say_is_held_for_wait_seconds_then_returns_empty()
    {
        var (client, http) = await _inbox.NewClientAsync();
        var clock = Stopwatch.StartNew();
        var answer = await InboxHarness.PollAsync(http, client, wait: 2);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"returned after {clock.Elapsed}");
        Assert.Empty((JArray)answer["events"]!);
        Assert.Equal(0, (long)answer["next"]!);
    }

    [Fact]
    public async Task A_held_poll_returns_the_event_as_soon_as_it_is_stored()
    {
        var (client, http) = await _inbox.NewClientAsync();
        var poll = InboxHarness.PollAsync(http, client, wait: 25);
        await Task.Delay(300);
        Assert.False(poll.IsCompleted);
        await _inbox.HeardOnPusherAsync(client.OwnChannel, "ping", "{}");
        var answer = await poll;
        Assert.Equal("ping", (string?)answer["events"]![0]!["event"]);
    }

    [Fact]
    public async Task After_acknowledges_so_handled_events_are_forgotten()
    {
        var (client, http) = await _inbox.NewClientAsync();
        for (var i = 1; i <= 3; i++) await _inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");
        await InboxHarness.PollAsync(http, client, after: 2); // acknowledges 1 and 2
        await _inbox.HeardOnPusherAsync(client.OwnChannel, "e4", "{}"); // the writer has applied the ack by now

        var replay = await InboxHarness.PollAsync(http, client, after: 0);
        Assert.Equal(new[] { 3L, 4L }, ((JArray)replay["events"]!).Select(e => (long)e["seq"]!));
        var state = (await _relay.Services.GetRequiredService<IInboxStore>().StateOfAsync(client.InboxId))!;
        Assert.Equal(2, state.AckedSeq);
    }

    [Fact]
    public async Task Limit_pages_through_a_backlog_in_order()
    {
        var (client, http) = await _inbox.NewClientAsync();
        for (var i = 1; i <= 7; i++) await _inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");
        var seen = new List<long>();
        long after = 0;
        while (true)
        {
            var page = await InboxHarness.PollAsync(http, client, after: after, limit: 3);
            var events = (JArray)page["events"]!;
            if (events.Count == 0) break;
            seen.AddRange(events.Select(e => (long)e["seq"]!));
            after = (long)page["next"]!;
        }
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task A_token_reads_only_its_own_inbox()
    {
        var (alice, aliceHttp) = await _inbox.NewClientAsync();
        var (bob, _) = await _inbox.NewClientAsync();
        await _inbox.HeardOnPusherAsync(bob.OwnChannel, "secret", "{}");
        var res = await aliceHttp.GetAsync($"{bob.BasePath}/events?wait=0");
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        Assert.Equal("forbidden", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["code"]);
        var (server, serverHttp) = await _inbox.NewClientAsync(ClientKind.GameServer);
        Assert.Equal(HttpStatusCode.Forbidden, (await serverHttp.GetAsync($"{alice.BasePath}/events?wait=0")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await aliceHttp.GetAsync($"{server.BasePath}/events?wait=0")).StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("rbp_not-a-real-token")]
    public async Task Without_a_valid_token_the_inbox_is_401(string? token)
    {
        var (client, _) = await _inbox.NewClientAsync();
        var http = _relay.CreateClient();
        if (token is not null) http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var res = await http.GetAsync($"{client.BasePath}/events?wait=0");
        Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
    }

    [Fact]
    public async Task A_token_too_long_to_hash_on_the_stack_is_401_like_any_unknown_one()
    {
        var (client, _) = await _inbox.NewClientAsync();
        var http = _relay.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", "rbp_" + new string('x', 4_000));
        var res = await http.GetAsync($"{client.BasePath}/events?wait=0");
        Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
        Assert.Equal("unauthorized", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["code"]);
    }

    [Theory]
    [InlineData("after=-1")]
    [InlineData("wait=26")]
    [InlineData("wait=-1")]
    [InlineData("limit=0")]
    [InlineData("limit=100000")]
    [InlineData("after=abc")]
    [InlineData("wait=2.5")]
    [InlineData("limit=99999999999")]
    [InlineData("after=1&wait=x")]
    public async Task Bad_query_values_are_400(string query)
    {
        var (client, http) = await _inbox.NewClientAsync();
        var res = await http.GetAsync($"{client.BasePath}/events?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        var problem = JObject.Parse(await res.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request", (string?)problem["code"]);
        // The field named is the one that is wrong.
        var wrong = query.Split('&').Last().Split('=')[0];
        Assert.NotNull(problem["errors"]?[wrong]);
    }

    [Fact]
    public async Task Empty_query_values_are_taken_as_absent()
    {
        var (client, http) = await _inbox.NewClientAsync();
        var res = await http.GetAsync($"{client.BasePath}/events?after=&wait=0&limit=");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
    }

    [Fact]
    public async Task Closing_an_inbox_wakes_its_waiting_poll_with_relay_revoked()
    {
        var (client, http) = await _inbox.NewClientAsync();
        var poll = InboxHarness.PollAsync(http, client, wait: 25);
        await PollHeldAsync();
        Assert.Null(await _relay.Services.GetRequiredService<Realtime.Relay.Plugins.PluginService>().RevokeAsync(null, client, client.Id));
        var answer = await poll;
        Assert.Equal("relay:revoked", (string?)answer["events"]![0]!["event"]);
    }

    [Fact]
    public async Task Metrics_count_stored_events_and_waiting_polls()
    {
        var (client, http) = await _inbox.NewClientAsync();
        var poll = InboxHarness.PollAsync(http, client, wait: 25);
        await PollHeldAsync();
        var during = await _relay.CreateClient().GetStringAsync("/metrics");
        await _inbox.HeardOnPusherAsync(client.OwnChannel, "e", "{}");
        await poll;
        var after = await _relay.CreateClient().GetStringAsync("/metrics");
        Assert.Matches(@"relay_long_polls_waiting [1-9]", during);
        Assert.Matches(@"relay_inbox_events_stored_total [1-9]", after);
    }

    /// <summary>Waits until the relay holds a poll (its gauge says so), so what the test does next happens during it.</summary>
    private Task PollHeldAsync() => Wait.UntilAsync(
        async () => System.Text.RegularExpressions.Regex.IsMatch(await _relay.CreateClient().GetStringAsync("/metrics"), @"relay_long_polls_waiting [1-9]"),
        Patience.Step, "the poll to be held");

    public void Dispose() => _relay.Dispose();
}
