using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage.Redis;
using Realtime.Relay.Tests.Storage.Contract;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// An event Redis refused to store while the connection stayed up (here: out of memory; under load, a timeout) is
/// never a silent loss: no reconnect announces the recovery, so the next event heard tells the inbox relay:gap first.
/// The server is this test's own (it is made to refuse writes).
/// </summary>
public sealed class RedisFailedStoreGapTests
{
    [Fact]
    public async Task An_event_refused_while_the_connection_stayed_up_is_told_as_relay_gap_before_the_next_event()
    {
        await using var server = await RedisServer.StartAsync();
        RedisStorage storage = null!;
        var stores = await RedisStores.OpenAsync(server, "refused-" + Guid.NewGuid().ToString("N"), new InboxOptions(), new FakeTime(), seen: s => storage = s);
        using var admin = await ConnectionMultiplexer.ConnectAsync(server.ConfigurationString + ",allowAdmin=true");
        var config = admin.GetServer(admin.GetEndPoints()[0]);
        try
        {
            var router = new ChannelRouter(stores.Inboxes, storage, NullLogger<ChannelRouter>.Instance);
            await router.ReportRestartGapAsync();
            var plugin = new RelayClient(ClientKind.Plugin, ClientTokens.NewId(), null);
            await stores.Inboxes.OpenAsync(plugin);
            router.Update((await stores.Inboxes.StateOfAsync(plugin.InboxId))!);

            await config.ConfigSetAsync("maxmemory", "1"); // every write now fails with OOM; the connection stays up
            await router.DeliverAsync(new IncomingEvent(plugin.OwnChannel, "refused", "{}"));
            await config.ConfigSetAsync("maxmemory", "0");
            await router.DeliverAsync(new IncomingEvent(plugin.OwnChannel, "next", "{}"));

            var stored = await stores.Inboxes.ReadAfterAsync(plugin.InboxId, 0, 10);
            Assert.Equal([ChannelRouter.GapEvent, "next"], stored.Select(e => e.Event));
            var gap = JObject.Parse(stored[0].Data);
            Assert.Equal("storage_unavailable", (string?)gap["reason"]);
            Assert.Equal([plugin.OwnChannel], gap["channels"]!.ToObject<string[]>()!);
        }
        finally
        {
            await stores.Close();
        }
    }
}
