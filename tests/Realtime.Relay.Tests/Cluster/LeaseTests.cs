using Realtime.Relay.Cluster;
using Realtime.Relay.Cluster.Redis;
using Realtime.Testing;
using StackExchange.Redis;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>Leases and heartbeats in a real redis-server: only the holder renews or releases; a lapsed lease is free.</summary>
public sealed class LeaseTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConfigurationString);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Only_the_holder_renews_or_releases_and_a_lapsed_lease_can_be_taken()
    {
        var leases = new RedisLeases(_connection);
        var ttl = TimeSpan.FromMilliseconds(500);
        Assert.True(await leases.TryAcquireAsync("lease:x", "a", ttl));
        Assert.False(await leases.TryAcquireAsync("lease:x", "b", ttl));
        Assert.False(await leases.RenewAsync("lease:x", "b", ttl));
        Assert.False(await leases.ReleaseAsync("lease:x", "b"));
        Assert.True(await leases.RenewAsync("lease:x", "a", ttl));
        Assert.Equal("a", await leases.HolderAsync("lease:x"));

        // a stops renewing: the lease lapses and b takes it; a can no longer renew or release b's lease.
        await Wait.UntilAsync(() => leases.TryAcquireAsync("lease:x", "b", ttl), Patience.Step, "a's lease to lapse");
        Assert.False(await leases.RenewAsync("lease:x", "a", ttl));
        Assert.False(await leases.ReleaseAsync("lease:x", "a"));
        Assert.False(await leases.HandOverAsync("lease:x", "a", "c", ttl));
        Assert.True(await leases.HandOverAsync("lease:x", "b", "c", ttl));
        Assert.Equal("c", await leases.HolderAsync("lease:x"));
        Assert.True(await leases.ReleaseAsync("lease:x", "c"));
        Assert.Null(await leases.HolderAsync("lease:x"));
    }

    [Fact]
    public async Task A_node_whose_heartbeat_lapsed_is_no_longer_live_and_a_clean_stop_leaves_at_once()
    {
        var a = new RedisNodeMembership(_connection, new NodeIdentity("node-a"), ClusterHarness.ShortLeases);
        var b = new RedisNodeMembership(_connection, new NodeIdentity("node-b"), ClusterHarness.ShortLeases);
        var c = new RedisNodeMembership(_connection, new NodeIdentity("node-c"), ClusterHarness.ShortLeases);
        await a.BeatAsync();
        await b.BeatAsync();
        await c.BeatAsync();
        Assert.Equal(["node-a", "node-b", "node-c"], await a.LiveNodesAsync());

        await c.LeaveAsync();
        Assert.Equal(["node-a", "node-b"], await a.LiveNodesAsync());

        // b stops beating (a dead node); a keeps beating until b is gone.
        await Wait.UntilAsync(async () =>
        {
            await a.BeatAsync();
            return (await a.LiveNodesAsync()).SequenceEqual(["node-a"]);
        }, Patience.Step, "node-b's heartbeat to lapse");
    }
}
