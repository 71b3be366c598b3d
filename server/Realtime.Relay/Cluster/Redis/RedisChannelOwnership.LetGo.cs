using Realtime.Relay.Inbox;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// What a node still stores after it handed a channel over (docs/cluster.md, "Hand-over without loss"). It lets go when
/// its renewal finds the lease moved, and its feed unsubscribes; but the feed stores a channel's events in order, so
/// events it heard before letting go may still wait in its queue. Some of them were published before the taker's
/// subscription was confirmed and only this node heard them: they are stored under the epoch the hand-over kept, with
/// the hand-over dedupe (the taker stored those it heard too). One that waited longer than the taker's dedupe keys live
/// cannot be told apart from one the taker stored, so it is dropped and its inboxes get <c>relay:gap</c>.
/// </summary>
public sealed partial class RedisChannelOwnership
{
    /// <summary>A channel whose lease moved to its taker: the epoch it was held under, and when this node let go.</summary>
    private sealed class HandedOver(long epoch, DateTimeOffset letGoAt)
    {
        public long Epoch { get; } = epoch;
        public DateTimeOffset LetGoAt { get; } = letGoAt;
        /// <summary>A gap was told for the late events since the last one stored (one gap per run of them).</summary>
        public bool GapTold { get; set; }
    }

    /// <summary>
    /// How long after an event was heard a node that handed its channel over still stores it: the taker's dedupe key for
    /// the same event lives <see cref="ClusterOptions.HandOverWindow"/> from when it stored it, which is about when both
    /// heard it; a round's margin covers the two connections hearing it at slightly different times.
    /// </summary>
    private TimeSpan HandedOverStoreWindow => _options.HandOverWindow - _options.Renew;

    private readonly Dictionary<string, HandedOver> _handedOver = new(StringComparer.Ordinal);

    /// <summary>Under <see cref="_gate"/>, as the lease is let go.</summary>
    private void RememberHandedOver(string channel, long epoch) => _handedOver[channel] = new HandedOver(epoch, _clock.GetUtcNow());

    private async ValueTask<IncomingEvent?> AdmitHandedOverAsync(IncomingEvent heard, HandedOver handedOver)
    {
        // Heard after letting go (or not heard on Pusher at all): the taker's subscription was confirmed before the
        // lease moved, so the taker heard it and stores it.
        if (heard.HeardAt is not { } heardAt || heardAt >= handedOver.LetGoAt) return null;
        if (_clock.GetUtcNow() - heardAt > HandedOverStoreWindow)
        {
            bool tell;
            lock (_gate)
            {
                tell = !handedOver.GapTold;
                handedOver.GapTold = true;
            }
            if (tell)
            {
                _log.LogWarning("Cluster: {Node} heard an event of {Channel} before handing it over but could not store it in time; its inboxes get relay:gap",
                    NodeId, heard.Channel);
                await _router.ReportGapAsync([heard.Channel], "relay_overloaded");
            }
            return null;
        }
        lock (_gate) handedOver.GapTold = false;
        var admitted = heard with { LeaseEpoch = handedOver.Epoch };
        return await IsFirstToStoreAsync(admitted) ? admitted : null;
    }

    /// <summary>
    /// Records of channels let go long ago are dropped, so they do not pile up over days of hand-overs: ten minutes is far
    /// beyond any lag of a channel's queue (an event that late would only be told as a gap).
    /// </summary>
    private void ForgetOldHandOvers()
    {
        lock (_gate)
        {
            var before = _clock.GetUtcNow() - TimeSpan.FromMinutes(10);
            foreach (var channel in _handedOver.Where(h => h.Value.LetGoAt < before).Select(h => h.Key).ToList()) _handedOver.Remove(channel);
        }
    }
}
