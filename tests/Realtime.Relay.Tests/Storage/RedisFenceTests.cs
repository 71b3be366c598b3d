using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.Redis;
using Realtime.Relay.Tests.Storage.Contract;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// The Redis append script's lease-epoch fence (docs/cluster.md, "Fencing"), with two nodes' stores on one Redis: an
/// event heard under a channel's older lease epoch is refused, whichever node sends it; the current epoch, and the
/// relay's own notices (no epoch), are stored.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisFenceTests(RedisFixture shared)
{
    private static readonly InboxOptions Options = new() { MaxEventsPerClient = 100, RetentionSeconds = 3600 };

    [Fact]
    public async Task An_event_heard_under_an_older_lease_epoch_is_refused_and_the_current_epoch_is_stored()
    {
        var prefix = "fence-" + Guid.NewGuid().ToString("N");
        RedisStorage storage = null!;
        var stale = await RedisStores.OpenAsync(shared.Server, prefix, Options, new FakeTime(), seen: s => storage = s);
        var current = await RedisStores.OpenAsync(shared.Server, prefix, Options, new FakeTime());
        try
        {
            var fences = new RedisChannelFences(storage);
            var plugin = new RelayClient(ClientKind.Plugin, ClientTokens.NewId(), null);
            var other = new RelayClient(ClientKind.Plugin, ClientTokens.NewId(), null);
            await stale.Inboxes.OpenAsync(plugin);
            await stale.Inboxes.OpenAsync(other);
            var channel = plugin.OwnChannel;

            var first = await fences.AdvanceAsync(channel);
            await stale.Inboxes.AppendAsync([plugin.InboxId], new IncomingEvent(channel, "first-lease", "{}") { LeaseEpoch = first });
            var second = await fences.AdvanceAsync(channel); // another node took the channel
            Assert.True(second > first);
            await stale.Inboxes.AppendAsync([plugin.InboxId], new IncomingEvent(channel, "stale", "{}") { LeaseEpoch = first });
            await current.Inboxes.AppendAsync([plugin.InboxId], new IncomingEvent(channel, "second-lease", "{}") { LeaseEpoch = second });
            await stale.Inboxes.AppendAsync([plugin.InboxId], new IncomingEvent(channel, ChannelRouter.GapEvent, "{}"));
            // Epochs are per channel: another channel without one takes any.
            await stale.Inboxes.AppendAsync([other.InboxId], new IncomingEvent(other.OwnChannel, "unfenced-channel", "{}") { LeaseEpoch = first });

            var stored = await current.Inboxes.ReadAfterAsync(plugin.InboxId, 0, 10);
            Assert.Equal(["first-lease", "second-lease", ChannelRouter.GapEvent], stored.Select(e => e.Event));
            Assert.Equal([1L, 2L, 3L], stored.Select(e => e.Seq)); // a refused event takes no seq
            Assert.Equal([second], await fences.CurrentAsync([channel]));
            Assert.Equal("unfenced-channel", Assert.Single(await current.Inboxes.ReadAfterAsync(other.InboxId, 0, 10)).Event);
        }
        finally
        {
            await stale.Close();
            await current.Close();
        }
    }
}
