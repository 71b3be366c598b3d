using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Relay.Cluster;
using Realtime.Relay.Cluster.Redis;
using Realtime.Relay.Inbox;
using Realtime.Relay.Publishing;
using Realtime.Relay.Storage;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// The outbox across nodes (docs/cluster.md, "Outbox"): a sender's entries are read only by the node holding its
/// claim, in acceptance order; a dead node's claimed but unpublished entries are read by another node once its claim lapses.
/// </summary>
public sealed class OutboxClaimTests : IAsyncLifetime
{
    private readonly ClusterHarness _cluster = new();
    private readonly List<ConnectionMultiplexer> _connections = [];

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var c in _connections) await c.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private sealed class StorageThatNeverFails : IStorageRecovery
    {
        public event Action? Recovered { add { } remove { } }
    }

    private Outbox NewOutbox() => new(_cluster.Stores.Outbox,
        new ChannelRouter(_cluster.Stores.Inboxes, new StorageThatNeverFails(), NullLogger<ChannelRouter>.Instance), TimeProvider.System);

    private async Task<(ClaimedOutboxReader Reader, RedisOutboxClaims Claims)> NodeAsync(string id)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(_cluster.Redis.ConfigurationString);
        _connections.Add(redis);
        var claims = new RedisOutboxClaims(redis, new SingleNodeMembership(new NodeIdentity(id)), ClusterHarness.ShortLeases);
        return (new ClaimedOutboxReader(NewOutbox(), claims), claims);
    }

    private Task AcceptAsync(string sender, params string[] names) => NewOutbox().AcceptAsync(names
        .Select(n => (new OutboxEntry { Channel = "roblox-sync", Event = n, Data = "{}", SenderInboxId = sender }, (string?)null)).ToList());

    private static List<string> Names(ClaimedBatch batch) => batch.Entries.Select(e => e.Event).ToList();

    [Fact]
    public async Task A_sender_claimed_by_one_node_is_skipped_by_the_others_who_publish_the_rest()
    {
        var (a, _) = await NodeAsync("node-a");
        var (b, _) = await NodeAsync("node-b");
        await AcceptAsync("plugin:x", "x1", "x2");
        await AcceptAsync("plugin:y", "y1");
        await AcceptAsync("plugin:x", "x3");

        await using var fromA = await a.NextAsync(2);
        await using var fromB = await b.NextAsync(10);

        Assert.Equal(["x1", "x2"], Names(fromA));
        Assert.Equal(["y1"], Names(fromB));
    }

    [Fact]
    public async Task What_a_dead_node_claimed_and_never_published_is_read_by_another_in_order_once()
    {
        var (a, claimsOfA) = await NodeAsync("node-a");
        var (b, _) = await NodeAsync("node-b");
        var outbox = NewOutbox();
        await AcceptAsync("plugin:x", "x1", "x2", "x3");
        var claimedByA = await a.NextAsync(2);
        Assert.Equal(["x1", "x2"], Names(claimedByA));

        claimsOfA.StopRenewing(); // a dies before publishing: its claim is never released
        await using (var meanwhile = await b.NextAsync(10)) Assert.Empty(meanwhile.Entries);

        List<string> taken = [];
        await Wait.UntilAsync(async () =>
        {
            await using var batch = await b.NextAsync(10);
            if (batch.Entries.Count == 0) return false;
            taken = Names(batch);
            await outbox.CompleteAsync(batch.Entries);
            return true;
        }, Patience.Step, "node-b to claim node-a's sender after node-a's claim lapsed");

        Assert.Equal(["x1", "x2", "x3"], taken);
        await using var afterwards = await a.NextAsync(10);
        Assert.Empty(afterwards.Entries);
        Assert.Equal(0, await outbox.PendingAsync());
    }

    [Fact]
    public async Task A_released_claim_lets_another_node_publish_the_sender_at_once()
    {
        var (a, _) = await NodeAsync("node-a");
        var (b, _) = await NodeAsync("node-b");
        var outbox = NewOutbox();
        await AcceptAsync("plugin:x", "x1", "x2");

        await using (var batch = await a.NextAsync(1))
        {
            Assert.Equal(["x1"], Names(batch));
            await outbox.CompleteAsync(batch.Entries);
        }

        await using var next = await b.NextAsync(10);
        Assert.Equal(["x2"], Names(next));
    }
}
