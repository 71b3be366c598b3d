using Realtime.Relay.Tests.Processes;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Faults;

/// <summary>
/// Events published while the relay was stopped never reached it: after a start every restored
/// inbox hears <c>relay:gap</c>, whether the relay was killed or stopped cleanly.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class RestartGapTests(SoketiAndRelay env) : IClassFixture<SoketiAndRelay>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Events_published_while_the_relay_was_stopped_are_signalled_by_relay_gap_after_restart(bool kill9)
    {
        var dbPath = TempDirectory.NewDatabasePath("relay-restart-gap");
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, RelayProcess.EnvironmentFor(env.Soketi, dbPath));
        var plugin = await PairedPlugin.PairAsync(relay.BaseUrl);
        await env.UntilPusherHasAsync(plugin.Channel);
        var backend = new PusherNodeBackend(env.Soketi);
        var poller = new InboxPoller(plugin);
        await backend.TriggerAsync(plugin.Channel, "before-stop", new { n = 1 });
        await poller.UntilAsync(e => e.Event == "before-stop", relay.BaseUrl, "the event published while the relay ran");
        await poller.PollOnceAsync(relay.BaseUrl, wait: 0); // acknowledges it
        Assert.Empty(poller.Gaps);

        if (kill9) relay.Kill(); else await relay.StopAsync();
        await backend.TriggerAsync(plugin.Channel, "while-stopped", new { n = 2 }); // nobody relays this
        await relay.StartAgainAsync();

        await poller.UntilAsync(e => e.Event == "relay:gap", relay.BaseUrl, "relay:gap after the restart");
        var gap = Assert.Single(poller.Gaps);
        Assert.Equal("relay_restarted", (string?)gap.Data!["reason"]);
        Assert.Contains(plugin.Channel, gap.Data!["channels"]!.Select(c => (string)c!));
        Assert.Empty(poller.Redelivered);

        // Delivery goes on after the gap. Until the relay has subscribed again an event is missed
        // (the gap already says so), so the backend publishes until one arrives.
        var attempt = 0;
        await Wait.UntilAsync(async () =>
        {
            await backend.TriggerAsync(plugin.Channel, "after-start", new { n = ++attempt });
            await poller.PollOnceAsync(relay.BaseUrl, wait: 3);
            return poller.Seen.Any(e => e.Event == "after-start");
        }, TimeSpan.FromSeconds(90), "an event published after the restart");
        var order = poller.Seen.Select(e => e.Event).Distinct().ToList();
        Assert.Equal(["before-stop", "relay:gap", "after-start"], order);
        Assert.Single(poller.Seen, e => e.Event == "relay:gap");
    }
}
