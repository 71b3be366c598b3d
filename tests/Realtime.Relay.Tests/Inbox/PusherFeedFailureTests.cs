using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Rest;
using Realtime.Relay.Cluster;
using Realtime.Relay.Inbox;
using Realtime.Relay.PusherConnection;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>
/// A channel's delivery loop in the Pusher feed outlives an unexpected error while handling one event (docs/operations.md,
/// <c>relay_pusher_events_failed_total</c>): that event's inboxes get <c>relay:gap</c> and the events after it are still stored.
/// </summary>
public sealed class PusherFeedFailureTests : IAsyncLifetime
{
    private SoketiServer _soketi = null!;
    private RelayFactory _relay = null!;
    private PusherRestClient _backend = null!;

    public async Task InitializeAsync()
    {
        _soketi = await SoketiServer.StartAsync();
        _relay = new RelayFactory(new Dictionary<string, string?> { ["PUSHER_PORT"] = _soketi.Port.ToString() },
            services => services.AddSingleton<IChannelOwnership>(sp => new FailsOnceOn("explode", new SingleNodeChannelOwnership(sp.GetRequiredService<ChannelRouter>()))));
        _backend = new PusherRestClient(_soketi.PusherOptions());
    }

    [Fact]
    public async Task An_event_that_fails_unexpectedly_is_told_as_relay_gap_and_the_channels_later_events_are_still_stored()
    {
        var (plugin, http) = await new InboxHarness(_relay).NewClientAsync();
        await Wait.UntilAsync(() => Task.FromResult(_relay.Services.GetRequiredService<PusherFeed>().IsSubscribed(plugin.OwnChannel)),
            Patience.Step, $"the relay's subscription to {plugin.OwnChannel}");

        await _backend.TriggerAsync(plugin.OwnChannel, "explode", new { n = 1 });
        await _backend.TriggerAsync(plugin.OwnChannel, "after", new { n = 2 });

        var stored = new List<JToken>();
        long next = 0;
        await Wait.UntilAsync(async () =>
        {
            var answer = await InboxHarness.PollAsync(http, plugin, after: next, wait: 5);
            stored.AddRange((JArray)answer["events"]!);
            next = (long)answer["next"]!;
            return stored.Any(e => (string?)e["event"] == "after");
        }, Patience.Step, "the event after the failed one to be stored");

        Assert.Equal([ChannelRouter.GapEvent, "after"], stored.Select(e => (string?)e["event"]));
        Assert.Equal("storage_unavailable", (string?)stored[0]["data"]!["reason"]);
        Assert.Equal([plugin.OwnChannel], stored[0]["data"]!["channels"]!.Values<string>());
    }

    /// <summary>The ownership the feed asks about each event, failing once (not a storage error) on events named <paramref name="name"/>.</summary>
    private sealed class FailsOnceOn(string name, IChannelOwnership inner) : IChannelOwnership
    {
        private int _failed;

        public IReadOnlyList<string> Follow(Action<ChannelDemandChange> follower, Func<string, bool> isSubscribed) => inner.Follow(follower, isSubscribed);

        public ValueTask<IncomingEvent?> AdmitAsync(IncomingEvent heard) =>
            heard.Event == name && Interlocked.Exchange(ref _failed, 1) == 0
                ? throw new InvalidOperationException("an unexpected failure handling one event")
                : inner.AdmitAsync(heard);
    }

    public async Task DisposeAsync()
    {
        _relay.Dispose();
        _backend.Dispose();
        await _soketi.DisposeAsync();
    }
}
