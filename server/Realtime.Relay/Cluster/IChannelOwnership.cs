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

    /// <summary>
    /// The event as this node stores it (in a cluster, stamped with the lease epoch it holds the channel under, so the
    /// store refuses it once another node took the channel), or null when this node must not store it: its lease is
    /// lost, or it is a duplicate heard during a hand-over.
    /// </summary>
    ValueTask<IncomingEvent?> AdmitAsync(IncomingEvent heard);
}

/// <summary>One relay owns every channel some inbox wants: exactly the router's demand.</summary>
public sealed class SingleNodeChannelOwnership(ChannelRouter router) : IChannelOwnership
{
    public IReadOnlyList<string> Follow(Action<ChannelDemandChange> follower, Func<string, bool> isSubscribed) =>
        router.FollowDemand(follower);

    public ValueTask<IncomingEvent?> AdmitAsync(IncomingEvent heard) => ValueTask.FromResult<IncomingEvent?>(heard);
}
