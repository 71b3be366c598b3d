using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>
/// The channels the router wants heard, as the relay's Pusher feed follows them (<see cref="ChannelRouter.FollowDemand"/>):
/// what is wanted when it starts following, then each channel once when its first inbox comes and once when its last goes.
/// Pusher is off here, so this test's follower is the only one.
/// </summary>
public sealed class ChannelDemandTests : IDisposable
{
    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["PUSHER_ENABLED"] = "false" });
    private readonly InboxHarness _inbox;
    private readonly ConcurrentQueue<ChannelDemandChange> _told = new();

    public ChannelDemandTests() => _inbox = new InboxHarness(_relay);

    public void Dispose() => _relay.Dispose();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_follower_gets_the_channels_wanted_now_and_then_each_change_once()
    {
        var router = _relay.Services.GetRequiredService<ChannelRouter>();
        var (a, httpA) = await _inbox.NewClientAsync();

        var now = router.FollowDemand(_told.Enqueue);

        Assert.Contains(a.OwnChannel, now);
        Assert.Empty(_told);

        var (b, httpB) = await _inbox.NewClientAsync();
        await httpA.PutAsync(a.BasePath + "/subscriptions", Json("{\"channels\":[\"system-status\"]}"));
        await httpB.PutAsync(b.BasePath + "/subscriptions", Json("{\"channels\":[\"system-status\"]}"));
        Assert.Equal([new ChannelDemandChange(b.OwnChannel, true), new ChannelDemandChange("system-status", true)], _told);

        _told.Clear();
        await httpA.PutAsync(a.BasePath + "/subscriptions", Json("{\"channels\":[]}"));
        Assert.Empty(_told); // b still hears it
        await httpB.PutAsync(b.BasePath + "/subscriptions", Json("{\"channels\":[]}"));
        Assert.Equal([new ChannelDemandChange("system-status", false)], _told);
    }

    [Fact]
    public async Task Setting_subscriptions_tells_the_other_nodes_even_when_this_router_already_routed_the_change()
    {
        // In a cluster this node may have routed the new state early: another node's route message made it read the
        // inbox after this PUT's write. The other nodes may have read before it, so the PUT must still announce.
        var router = _relay.Services.GetRequiredService<ChannelRouter>();
        var inboxes = _relay.Services.GetRequiredService<IInboxStore>();
        var (a, httpA) = await _inbox.NewClientAsync();
        await inboxes.SetSubscriptionsAsync(a.InboxId, ["system-status"]);
        router.Update((await inboxes.StateOfAsync(a.InboxId))!); // the early, remote-triggered refresh
        var announced = new ConcurrentQueue<string>();
        router.InboxRoutesChanged += announced.Enqueue;

        var res = await httpA.PutAsync(a.BasePath + "/subscriptions", Json("{\"channels\":[\"system-status\"]}"));

        Assert.True(res.IsSuccessStatusCode, await res.Content.ReadAsStringAsync());
        Assert.Contains(a.InboxId, announced);
    }
}
