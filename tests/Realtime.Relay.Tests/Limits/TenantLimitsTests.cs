using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Tests.Inbox;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Limits;

/// <summary>
/// Issue 9, items 6 and 10: per-tenant caps. When one is hit the caller gets 429 problem+json with
/// Retry-After and a stable code, and nobody else is slowed down.
/// </summary>
public sealed class TenantLimitsTests
{
    private static void AssertLimited(HttpResponseMessage res, JObject problem, string code)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, (string?)problem["code"]);
        Assert.True(res.Headers.RetryAfter?.Delta is { } wait && wait >= TimeSpan.FromSeconds(1), "Retry-After in seconds");
    }

    [Fact]
    public async Task A_game_with_its_maximum_of_server_sessions_gets_429_for_a_new_one_while_known_jobs_and_other_games_register()
    {
        using var relay = new AccountsRelay(new Dictionary<string, string?> { ["Relay:MaxSessionsPerGame"] = "2" });
        var key = await relay.CreateGameAsync("busy", "teacher-1");
        var otherKey = await relay.CreateGameAsync("quiet", "teacher-2");
        Task<(HttpStatusCode Status, JObject Body, HttpResponseMessage Response)> Register(string game, string k, string job) =>
            relay.WithToken(k).PostJsonAsync($"/api/v1/games/{game}/servers", new { jobId = job, placeId = 1 });

        Assert.Equal(HttpStatusCode.Created, (await Register("busy", key, "job-1")).Status);
        Assert.Equal(HttpStatusCode.Created, (await Register("busy", key, "job-2")).Status);
        var (_, problem, res) = await Register("busy", key, "job-3");
        AssertLimited(res, problem, "too_many_server_sessions");
        Assert.Equal(60, (int)res.Headers.RetryAfter!.Delta!.Value.TotalSeconds); // the silence that ends a session

        Assert.Equal(HttpStatusCode.Created, (await Register("busy", key, "job-2")).Status); // registering again is not a new session
        Assert.Equal(HttpStatusCode.Created, (await Register("quiet", otherKey, "job-3")).Status);

        // Ending a session frees its place.
        Assert.Equal(HttpStatusCode.NoContent, (await relay.WithToken(key).DeleteAsync("/api/v1/games/busy/servers/job-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Register("busy", key, "job-3")).Status);
    }

    [Fact]
    public async Task Pairings_pending_beyond_the_global_cap_get_429_until_one_is_decided_or_expires()
    {
        using var relay = new AccountsRelay(new Dictionary<string, string?> { ["Relay:Pairing:MaxPending"] = "2" });
        var first = await relay.StartAsync();
        await relay.StartAsync();
        var (_, problem, res) = await relay.Anonymous().PostJsonAsync("/api/v1/pairings", new { });
        AssertLimited(res, problem, "too_many_pending_pairings");
        Assert.Equal(600, (int)res.Headers.RetryAfter!.Delta!.Value.TotalSeconds); // until the oldest code expires

        var (approved, _, _) = await relay.ApproveAsync("teacher-1", (string)first["userCode"]!);
        Assert.Equal(HttpStatusCode.OK, approved);
        var third = await relay.StartAsync(); // an approved pairing no longer waits
        Assert.NotNull(third["userCode"]);
        var (full, _, _) = await relay.Anonymous().PostJsonAsync("/api/v1/pairings", new { });
        Assert.Equal(HttpStatusCode.TooManyRequests, full);

        relay.Time.Advance(TimeSpan.FromSeconds(601)); // every pending code expired
        await relay.StartAsync();
    }

    [Fact]
    public async Task A_client_with_its_maximum_of_streams_gets_429_too_many_streams_while_other_clients_stream_and_poll()
    {
        using var factory = new RelayFactory(new Dictionary<string, string?> { ["Inbox:MaxStreamsPerClient"] = "2" });
        var inbox = new InboxHarness(factory);
        var (client, http) = await inbox.NewClientAsync();
        var (other, otherHttp) = await inbox.NewClientAsync();

        var open = new List<HttpResponseMessage>();
        for (var i = 0; i < 2; i++)
        {
            var res = await http.GetAsync(client.BasePath + "/stream", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            open.Add(res);
        }
        var refused = await http.GetAsync(client.BasePath + "/stream", HttpCompletionOption.ResponseHeadersRead);
        AssertLimited(refused, await Http.ReadAsync(refused), "too_many_streams");

        using var otherStream = await otherHttp.GetAsync(other.BasePath + "/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, otherStream.StatusCode);
        await inbox.HeardOnPusherAsync(client.OwnChannel, "e1", "{}");
        Assert.Single((JArray)(await InboxHarness.PollAsync(http, client))["events"]!); // its polls still work

        // Closing a stream frees its slot (once the relay sees the client gone).
        open[0].Dispose();
        await Wait.UntilAsync(async () =>
        {
            var again = await http.GetAsync(client.BasePath + "/stream", HttpCompletionOption.ResponseHeadersRead);
            if (again.StatusCode != HttpStatusCode.OK) { again.Dispose(); return false; }
            open.Add(again);
            return true;
        }, TimeSpan.FromSeconds(30), "a stream slot to free");
        foreach (var res in open) res.Dispose();
    }

    [Fact]
    public async Task More_than_fifty_subscriptions_for_one_client_are_400_and_change_nothing()
    {
        using var factory = new RelayFactory();
        var inbox = new InboxHarness(factory);
        var (client, http) = await inbox.NewClientAsync();
        var ok = await http.PutAsync(client.BasePath + "/subscriptions", Http.Json(new { channels = new[] { "roblox-sync" } }));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        var many = Enumerable.Range(1, 51).Select(i => "content-generation-" + i).ToArray();
        var res = await http.PutAsync(client.BasePath + "/subscriptions", Http.Json(new { channels = many }));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("invalid_request", (string?)(await Http.ReadAsync(res))["code"]);
        var now = JObject.Parse(await http.GetStringAsync(client.BasePath + "/subscriptions"));
        Assert.Equal(new[] { client.OwnChannel, "roblox-sync" }, now["channels"]!.Values<string>());
    }

    [Fact]
    public async Task A_newer_long_poll_beyond_the_clients_held_poll_limit_answers_its_oldest_held_poll_at_once()
    {
        using var factory = new RelayFactory(new Dictionary<string, string?> { ["Inbox:MaxHeldPollsPerClient"] = "2" });
        var inbox = new InboxHarness(factory);
        var limits = factory.Services.GetRequiredService<HeldRequestLimits>();
        var (client, http) = await inbox.NewClientAsync();

        var first = InboxHarness.PollAsync(http, client, wait: 25);
        await Wait.UntilAsync(() => Task.FromResult(limits.HeldPolls(client.InboxId) == 1), TimeSpan.FromSeconds(30), "the first poll to be held");
        var second = InboxHarness.PollAsync(http, client, wait: 25);
        await Wait.UntilAsync(() => Task.FromResult(limits.HeldPolls(client.InboxId) == 2), TimeSpan.FromSeconds(30), "the second poll to be held");
        var third = InboxHarness.PollAsync(http, client, wait: 25);
        await Wait.UntilAsync(() => Task.FromResult(limits.PollsCut == 1), TimeSpan.FromSeconds(30), "the third poll to push the first out");

        var cut = await first; // answered as if its wait had run out
        Assert.Empty((JArray)cut["events"]!);
        Assert.Equal(0, (long)cut["next"]!);
        Assert.False((bool)cut["gap"]!);
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);
        Assert.Equal(2, limits.HeldPolls(client.InboxId));

        await inbox.HeardOnPusherAsync(client.OwnChannel, "round", "{}");
        Assert.Equal("round", (string?)(await second)["events"]![0]!["event"]);
        Assert.Equal("round", (string?)(await third)["events"]![0]!["event"]);
    }
}
