using Realtime.Relay.Inbox;

namespace Realtime.Relay.Cluster;

/// <summary>
/// Which of the channels the inboxes want this node subscribes on Pusher: the filter between
/// <see cref="ChannelRouter.FollowDemand"/> and the Pusher feed (docs/cluster.md, "Channel ownership").
/// One node owns everything; in a cluster each wanted channel has exactly one owner at a time.
/// </summary>
public interface IChannelOwnership
{
    /// <summary>
    /// Registers <paramref name="follower"/> for every later change of the channels this node must
    /// subscribe (<c>Wanted</c>: subscribe, else unsubscribe) and returns those it must subscribe now.
    /// <paramref name="isSubscribed"/> says whether Pusher has confirmed a subscription, so a hand-over
    /// lets go of the old subscriber only once the new one hears the channel.
    /// </summary>
    IReadOnlyList<string> Follow(Action<ChannelDemandChange> follower, Func<string, bool> isSubscribed);

    /// <summary>Whether this node stores an event it heard (false once its lease is lost, or a duplicate heard during a hand-over).</summary>
    ValueTask<bool> ShouldStoreAsync(IncomingEvent heard);
}

/// <summary>One relay owns every channel some inbox wants: exactly the router's demand.</summary>
public sealed class SingleNodeChannelOwnership(ChannelRouter router) : IChannelOwnership
{
    public IReadOnlyList<string> Follow(Action<ChannelDemandChange> follower, Func<string, bool> isSubscribed) =>
        router.FollowDemand(follower);

    public ValueTask<bool> ShouldStoreAsync(IncomingEvent heard) => ValueTask.FromResult(true);
}
