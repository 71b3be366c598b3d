using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>Renewing this node's channel leases (docs/cluster.md, "Channel ownership", step 1).</summary>
public sealed partial class RedisChannelOwnership
{
    /// <summary>
    /// The renewal thread: every <see cref="ClusterOptions.Renew"/> it renews this node's leases, whatever the round is
    /// doing (taking hundreds of channels one by one can outlast a lease on a loaded machine). A thread of its own,
    /// waiting on the pipelined answers directly, so neither a long round nor a busy thread pool delays it.
    /// </summary>
    private void RenewUntil(CancellationToken stop)
    {
        while (!stop.WaitHandle.WaitOne(_options.Renew))
        {
            try
            {
                var (channels, renewals) = SendRenewals();
                Task.WaitAll(renewals, stop);
                ApplyRenewals(channels, renewals);
                KeepOwnershipKeys(channels);
            }
            catch (OperationCanceledException) { return; }
            catch (Exception e) when (e is AggregateException { InnerException: { } inner } ? ClusterRoundFailure.IsTransient(inner) : ClusterRoundFailure.IsTransient(e))
            {
                _log.LogWarning("Cluster: renewing channel leases failed ({Reason}); trying again", e.InnerException?.Message ?? e.Message);
            }
            catch (Exception e)
            {
                _log.LogError(e, "Cluster: renewing channel leases failed unexpectedly; trying again");
            }
        }
    }

    /// <summary>The round's part: lets go of channels no inbox wants, and renews the rest (as the renewal thread does).</summary>
    private async Task RenewAsync()
    {
        List<string> unwanted;
        lock (_gate) unwanted = _owned.Keys.Where(c => !_wanted.Contains(c)).ToList();
        await Task.WhenAll(unwanted.Select(c => _leases.ReleaseAsync(RedisKeys.ChannelLease(c), NodeId)));
        foreach (var channel in unwanted) Drop(channel, "no inbox wants it");
        ForgetOldHandOvers();
        var (channels, renewals) = SendRenewals();
        await Task.WhenAll(renewals);
        ApplyRenewals(channels, renewals);
    }

    // All at once (StackExchange.Redis pipelines them): one round trip, not one per channel.
    private (List<string> Channels, Task<RedisResult>[] Renewals) SendRenewals()
    {
        List<string> mine;
        lock (_gate) mine = _owned.Keys.Where(_wanted.Contains).ToList();
        return (mine, mine.Select(c => _leases.SendRenewal(RedisKeys.ChannelLease(c), NodeId, _options.Lease)).ToArray());
    }

    private void ApplyRenewals(List<string> channels, Task<RedisResult>[] renewals)
    {
        for (var i = 0; i < channels.Count; i++)
        {
            switch (RedisLeases.RenewalOf(renewals[i].Result))
            {
                case LeaseRenewal.HeldByAnother:
                    Drop(channels[i], "its lease moved to another node", handedOver: true);
                    break;
                case LeaseRenewal.Lapsed:
                    Drop(channels[i], "its lease lapsed before this node renewed it", lapsed: true);
                    break;
            }
        }
    }

    /// <summary>
    /// Once an hour, the channels' last-owner and epoch keys (kept a day) are kept for another day: a channel owned for
    /// days still gets its gap if its owner dies, and its hand-overs still share one epoch.
    /// </summary>
    private void KeepOwnershipKeys(List<string> channels)
    {
        var now = _clock.GetUtcNow();
        if (now - _keysKeptAt < TimeSpan.FromHours(1)) return;
        _keysKeptAt = now;
        var db = _redis.GetDatabase();
        Task.WaitAll(channels.Select(c => db.KeyExpireAsync(RedisKeys.ChannelLastOwner(c), TimeSpan.FromDays(1)))
            .Append(_fences.KeepAsync(channels)).ToArray());
    }
}
