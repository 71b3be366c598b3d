using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Rest;
using Realtime.Relay.Cluster;
using Realtime.Relay.Inbox;
using Realtime.Relay.PusherConnection;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>
/// A channel the ownership lets go of and takes again at once (in a cluster: dropped and re-taken in one round,
/// docs/cluster.md "Channel ownership") ends up subscribed: the feed's let-go must not land after the new subscribe.
/// </summary>
public sealed class PusherFeedLetGoTests : IAsyncLifetime
{
    private SoketiServer _soketi = null!;
    private RelayFactory _relay = null!;
    private PusherRestClient _backend = null!;
    private readonly ReplayableOwnership _ownership = new();

    public async Task InitializeAsync()
    {
        _soketi = await SoketiServer.StartAsync();
        _relay = new RelayFactory(new Dictionary<string, string?> { ["PUSHER_PORT"] = _soketi.Port.ToString() },
            services => services.AddSingleton<IChannelOwnership>(sp => _ownership.Wrapping(new SingleNodeChannelOwnership(sp.GetRequiredService<ChannelRouter>()))));
        _backend = new PusherRestClient(_soketi.PusherOptions());
    }

    [Fact]
    public async Task A_channel_let_go_and_taken_again_at_once_is_subscribed_and_its_events_are_stored()
    {
        var (plugin, http) = await new InboxHarness(_relay).NewClientAsync();
        var feed = _relay.Services.GetRequiredService<PusherFeed>();
        await Wait.UntilAsync(() => Task.FromResult(feed.IsSubscribed(plugin.OwnChannel)), Patience.Step, $"the relay's subscription to {plugin.OwnChannel}");

        _ownership.LetGoAndTakeAgain(plugin.OwnChannel);

        await Wait.UntilAsync(() => Task.FromResult(feed.IsSubscribed(plugin.OwnChannel)), Patience.Step,
            $"the relay's subscription to {plugin.OwnChannel} after letting it go and taking it again");
        await _backend.TriggerAsync(plugin.OwnChannel, "after", new { n = 1 });
        var stored = new List<JToken>();
        long next = 0;
        await Wait.UntilAsync(async () =>
        {
            var answer = await InboxHarness.PollAsync(http, plugin, after: next, wait: 5);
            stored.AddRange((JArray)answer["events"]!);
            next = (long)answer["next"]!;
            return stored.Any(e => (string?)e["event"] == "after");
        }, Patience.Step, "the event published after the channel was taken again");
        Assert.Equal(["after"], stored.Select(e => (string?)e["event"]));
    }

    /// <summary>The single-node ownership, whose follower a test can tell "let go" then "subscribe" back to back, as a cluster round may.</summary>
    private sealed class ReplayableOwnership : IChannelOwnership
    {
        private IChannelOwnership _inner = null!;
        private Action<ChannelDemandChange>? _follower;

        public IChannelOwnership Wrapping(IChannelOwnership inner)
        {
            _inner = inner;
            return this;
        }

        public IReadOnlyList<string> Follow(Action<ChannelDemandChange> follower, Func<string, bool> isSubscribed)
        {
            _follower = follower;
            return _inner.Follow(follower, isSubscribed);
        }

        public ValueTask<IncomingEvent?> AdmitAsync(IncomingEvent heard) => _inner.AdmitAsync(heard);

        public void LetGoAndTakeAgain(string channel)
        {
            var follower = _follower ?? throw new InvalidOperationException("the feed follows no ownership yet");
            follower(new ChannelDemandChange(channel, Wanted: false));
            follower(new ChannelDemandChange(channel, Wanted: true));
        }
    }

    public async Task DisposeAsync()
    {
        _relay.Dispose();
        _backend.Dispose();
        await _soketi.DisposeAsync();
    }
}
