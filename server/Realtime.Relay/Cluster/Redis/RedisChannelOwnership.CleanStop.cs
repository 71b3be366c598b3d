namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// A clean stop (SIGTERM) hands the node's channels over before it stops hearing them (docs/cluster.md, "A clean
/// stop"). <see cref="StoppingAsync"/> runs before any service stops, so the Pusher feed still hears and stores: the
/// node leaves the node set (the others' shares grow), offers every channel it owns and keeps renewing them while
/// the others take them as in any hand-over (subscribe first, then move the lease once Pusher confirmed and this node
/// has seen that). A channel whose lease moved is let go at once; what is still held after
/// <see cref="ClusterOptions.StopHandOver"/> is released in <see cref="StopAsync"/>, after the feed stopped, and its
/// next owner tells relay:gap as after a lapse.
/// </summary>
public sealed partial class RedisChannelOwnership : IHostedLifecycleService
{
    /// <summary>Set once the hand-over before a stop began: regular rounds take and offer nothing any more.</summary>
    private volatile bool _stopping;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => HandOverBeforeStopAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Offers every owned channel until the others took them all or the stop budget is spent; what is left stays owned.</summary>
    public async Task HandOverBeforeStopAsync(CancellationToken cancellationToken)
    {
        await _round.WaitAsync(cancellationToken);
        try
        {
            _stopping = true;
            await _membership.LeaveAsync();
            if (_options.StopHandOver <= TimeSpan.Zero || !(await _membership.LiveNodesAsync()).Any(n => n != NodeId)) return;
            var deadline = _clock.GetUtcNow() + _options.StopHandOver;
            var poll = _options.Renew / 4;
            var reofferAt = DateTimeOffset.MinValue;
            _log.LogInformation("Cluster: {Node} is stopping and offers its {Count} channels to the other nodes", NodeId, OwnedCount());
            while (OwnedCount() > 0 && _clock.GetUtcNow() < deadline)
            {
                if (_clock.GetUtcNow() >= reofferAt)
                {
                    await OfferAsync(OwnedCount()); // all of them; again each round, as an offer lives one lease
                    reofferAt = _clock.GetUtcNow() + _options.Renew;
                }
                await Task.Delay(poll, _clock, cancellationToken);
                await SeeReadyTakersAsync();
                await RenewAsync(); // a channel whose lease moved to its taker is let go here
            }
            await WithdrawOffersAsync();
            var left = OwnedCount();
            if (left > 0) _log.LogWarning("Cluster: {Node} stops with {Count} channels not handed over; they are released (relay:gap on them)", NodeId, left);
            else _log.LogInformation("Cluster: {Node} handed every channel over", NodeId);
        }
        catch (Exception e) when (ClusterRoundFailure.IsTransient(e) || e is OperationCanceledException)
        {
            _log.LogWarning("Cluster: {Node} could not hand its channels over before stopping ({Reason}); they are released", NodeId, e.Message);
        }
        finally
        {
            _round.Release();
        }
    }

    private int OwnedCount()
    {
        lock (_gate) return _owned.Count;
    }

    /// <summary>No one starts on a channel this node is about to release; one whose lease moved meanwhile is let go.</summary>
    private async Task WithdrawOffersAsync()
    {
        await OfferAsync(0);
        await RenewAsync();
    }
}
