using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Inbox;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Inbox;

public sealed class RetentionAndDurabilityTests
{
    [Fact]
    public async Task Over_the_count_limit_the_oldest_go_first_and_the_poll_says_gap()
    {
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["Inbox:MaxEventsPerClient"] = "5" });
        var inbox = new InboxHarness(relay);
        var (client, http) = await inbox.NewClientAsync();
        for (var i = 1; i <= 8; i++) await inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");

        var answer = await InboxHarness.PollAsync(http, client, after: 0);
        Assert.True((bool)answer["gap"]!);
        Assert.Equal(new[] { 4L, 5, 6, 7, 8 }, ((JArray)answer["events"]!).Select(e => (long)e["seq"]!));

        var caughtUp = await InboxHarness.PollAsync(http, client, after: 8);
        Assert.False((bool)caughtUp["gap"]!); // a client past the dropped events has no gap
    }

    [Fact]
    public async Task Dropping_only_acknowledged_events_is_no_gap()
    {
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["Inbox:MaxEventsPerClient"] = "3" });
        var inbox = new InboxHarness(relay);
        var (client, http) = await inbox.NewClientAsync();
        for (var i = 1; i <= 3; i++) await inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");
        await InboxHarness.PollAsync(http, client, after: 3);
        for (var i = 4; i <= 6; i++) await inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");
        var answer = await InboxHarness.PollAsync(http, client, after: 3);
        Assert.False((bool)answer["gap"]!);
        Assert.Equal(3, ((JArray)answer["events"]!).Count);
    }

    [Fact]
    public async Task Events_older_than_the_retention_period_expire_with_a_gap()
    {
        var time = new FakeTime();
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["Inbox:RetentionSeconds"] = "60" },
            services => services.AddSingleton<TimeProvider>(time));
        var inbox = new InboxHarness(relay);
        var (client, http) = await inbox.NewClientAsync();
        await inbox.HeardOnPusherAsync(client.OwnChannel, "old", "{}");
        time.Advance(TimeSpan.FromSeconds(61));
        await inbox.HeardOnPusherAsync(client.OwnChannel, "fresh", "{}");
        await relay.Services.GetRequiredService<IInboxStore>().ExpireAsync();

        var answer = await InboxHarness.PollAsync(http, client, after: 0);
        Assert.True((bool)answer["gap"]!);
        Assert.Equal("fresh", (string?)Assert.Single((JArray)answer["events"]!)["event"]);
    }

    [Fact]
    public async Task Unacknowledged_events_survive_a_restart_and_acknowledged_ones_do_not_come_back()
    {
        var dir = Path.Combine(Path.GetTempPath(), "relay-restart-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?> { ["RELAY_DB_PATH"] = Path.Combine(dir, "relay.db") };
        try
        {
            Realtime.Relay.Clients.RelayClient client;
            string token;
            using (var first = new RelayFactory(settings))
            {
                var inbox = new InboxHarness(first);
                (client, var http) = await inbox.NewClientAsync();
                token = http.DefaultRequestHeaders.Authorization!.Parameter!;
                for (var i = 1; i <= 4; i++) await inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");
                await InboxHarness.PollAsync(http, client, after: 2);
                await inbox.HeardOnPusherAsync(client.OwnChannel, "e5", "{}");
            }
            using var second = new RelayFactory(settings);
            var again = second.CreateClient();
            again.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var answer = await InboxHarness.PollAsync(again, client, after: 0);
            var events = ((JArray)answer["events"]!).ToList();
            Assert.Equal(new[] { 3L, 4, 5 }, events.Where(e => (string?)e["event"] != "relay:gap").Select(e => (long)e["seq"]!));
            Assert.Equal("relay:gap", (string?)events[^1]["event"]); // what Pusher sent while it was down is missed
            await new InboxHarness(second).HeardOnPusherAsync(client.OwnChannel, "e6", "{}");
            var next = await InboxHarness.PollAsync(again, client, after: 6);
            Assert.Equal(7, (long)next["events"]![0]!["seq"]!); // seq continues, never reused
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }
}
