using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Relay.Cluster;
using Realtime.Relay.Inbox;
using Realtime.Relay.Publishing;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>One relay (the default, RELAY_STORE unset or litedb): it owns every channel, publishes every sender, and is the whole cluster.</summary>
public sealed class SingleNodeTests : IDisposable
{
    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["PUSHER_ENABLED"] = "false" });

    public void Dispose() => _relay.Dispose();

    [Fact]
    public void Without_a_redis_store_the_single_node_implementations_are_used()
    {
        Assert.IsType<SingleNodeChannelOwnership>(_relay.Services.GetRequiredService<IChannelOwnership>());
        Assert.IsType<SingleNodeOutboxClaims>(_relay.Services.GetRequiredService<IOutboxClaims>());
        Assert.IsType<SingleNodeMembership>(_relay.Services.GetRequiredService<INodeMembership>());
    }

    [Fact]
    public async Task The_single_node_follows_the_routers_demand_and_stores_everything_it_hears()
    {
        var ownership = _relay.Services.GetRequiredService<IChannelOwnership>();
        var router = _relay.Services.GetRequiredService<ChannelRouter>();
        var told = new List<ChannelDemandChange>();
        var now = ownership.Follow(told.Add, _ => false);

        router.Update(new InboxState { InboxId = "plugin:p9", Kind = Relay.Clients.ClientKind.Plugin, ClientId = "p9", Subscriptions = ["roblox-sync"] });

        Assert.DoesNotContain("private-plugin-p9", now);
        Assert.Equal([new ChannelDemandChange("private-plugin-p9", true), new ChannelDemandChange("roblox-sync", true)], told);
        Assert.NotNull(await ownership.AdmitAsync(new IncomingEvent("roblox-sync", "e", "{}")));
    }

    [Fact]
    public async Task The_single_node_reads_the_oldest_entries_of_every_sender()
    {
        var outbox = _relay.Services.GetRequiredService<Outbox>();
        var reader = _relay.Services.GetRequiredService<ClaimedOutboxReader>();
        await outbox.AcceptAsync([Entry("x1", "plugin:x"), Entry("y1", "plugin:y"), Entry("x2", "plugin:x")]);

        await using var batch = await reader.NextAsync(2);

        Assert.Equal(["x1", "y1"], batch.Entries.Select(e => e.Event));
        Assert.Equal((await outbox.OldestAsync(2)).Select(e => e.Id), batch.Entries.Select(e => e.Id));
    }

    private static (OutboxEntry, string?) Entry(string name, string sender) =>
        (new OutboxEntry { Channel = "roblox-sync", Event = name, Data = "{}", SenderInboxId = sender }, null);

    [Fact]
    public void With_the_redis_store_the_redis_implementations_are_registered()
    {
        var services = new ServiceCollection();
        services.AddCluster(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Relay:Store"] = " Redis " }).Build());

        Assert.Contains(services, d => d.ServiceType == typeof(Relay.Cluster.Redis.RedisChannelOwnership));
        Assert.Contains(services, d => d.ServiceType == typeof(Relay.Cluster.Redis.RedisNodeMembership));
        Assert.Contains(services, d => d.ServiceType == typeof(Relay.Cluster.Redis.RedisRouteSync));
        Assert.Contains(services, d => d.ServiceType == typeof(Relay.Cluster.Redis.PresenceTakeover));
        Assert.Contains(services, d => d.ServiceType == typeof(IOutboxClaims) && d.ImplementationType == typeof(Relay.Cluster.Redis.RedisOutboxClaims));
        Assert.Contains(services, d => d.ServiceType == typeof(IPresenceHolding) && d.ImplementationType == typeof(Relay.Cluster.Redis.RedisPresenceHolding));
        Assert.DoesNotContain(services, d => d.ImplementationType == typeof(SingleNodeOutboxClaims));
    }
}
