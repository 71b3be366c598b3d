using Prometheus;
using Realtime.Pusher;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Client;
using Realtime.Relay.Cluster;
using Realtime.Relay.Inbox;
using Realtime.Relay.Meta;
using Realtime.Relay.Publishing;

namespace Realtime.Relay.PusherConnection;

/// <summary>
/// The relay as a Pusher client: one pool of WebSocket connections holding every channel some
/// inbox hears and this node owns (it follows <see cref="IChannelOwnership"/>, which filters
/// <see cref="ChannelRouter.FollowDemand"/>; one node owns them all, docs/cluster.md). Each channel's events are
/// handed to the router in order; when a connection comes back after a drop, the router tells
/// the affected inboxes (<c>relay:gap</c>). The dependency runs one way: feed → router.
/// </summary>
public sealed class PusherFeed : IRelaySocketIds, IReadinessCheck, IHostedService, IAsyncDisposable
{
    /// <summary>The relay signs in as this user (soketi and Pusher may require sign-in).</summary>
    public const string RelayUserId = "realtime-bridge-relay";

    private static readonly Gauge Channels = Metrics.CreateGauge("relay_pusher_channels", "Channels the relay is subscribed to.");
    private static readonly Gauge Connected = Metrics.CreateGauge("relay_pusher_connections_connected", "Relay connections to Pusher that are connected.");
    private static readonly Counter Heard = Metrics.CreateCounter("relay_pusher_events_received_total", "Events the relay heard from Pusher.");
    private static readonly Counter Failed = Metrics.CreateCounter("relay_pusher_events_failed_total",
        "Events heard from Pusher that could not be stored for an unexpected error (their inboxes get relay:gap).");

    private readonly PusherConnectionPool _pool;
    private readonly ChannelRouter _router;
    private readonly IChannelOwnership _ownership;
    private readonly ILogger<PusherFeed> _log;
    private readonly CancellationTokenSource _stopping = new();

    public PusherFeed(PusherOptions options, ChannelRouter router, IChannelOwnership ownership, ILoggerFactory logs,
        Configuration.PusherSettings settings)
    {
        _router = router;
        _ownership = ownership;
        _log = logs.CreateLogger<PusherFeed>();
        _pool = new PusherConnectionPool(options, new PusherPoolOptions
        {
            ChannelsPerConnection = settings.ChannelsPerConnection,
            Client = new PusherClientOptions { SignInAs = new PusherUser { Id = RelayUserId, UserInfo = new { name = "Realtime Bridge relay" } } },
        }, logs.CreateLogger<PusherConnectionPool>());
        _pool.ChannelsResumedAfterGap += (_, channels) => _ = _router.ReportGapAsync(channels);
        _pool.ErrorReported += (_, error) => _log.LogWarning("Pusher: {Error}", error);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Every owned channel some inbox hears (restored from disk) now, later ones as inboxes and owners change.
        foreach (var channel in _ownership.Follow(OnDemandChanged, IsSubscribed)) Subscribe(channel);
        _ = Task.Run(async () =>
        {
            try { await _pool.StartAsync(_stopping.Token); }
            catch (OperationCanceledException) { }
            catch (Exception e) { _log.LogError("Pusher refused the relay's connection: {Reason}", e.Message); }
        });
        return Task.CompletedTask;
    }

    private void OnDemandChanged(ChannelDemandChange change)
    {
        if (change.Wanted) Subscribe(change.Channel);
        else Unsubscribe(change.Channel);
    }

    private void Subscribe(string channel)
    {
        var subscription = _pool.Add(channel);
        Channels.Set(_pool.ChannelCount);
        _ = PumpAsync(subscription);
    }

    // The pool lets go of the channel before this returns (only the unsubscribe frame is sent later): a Subscribe right
    // after it (an owner that lets a channel go and takes it again in one round) gets a new subscription. Removed on a
    // queued task instead, it could run after that Subscribe, which had found the old one: the channel owned, its
    // lease renewed, and nothing subscribed — no event and no relay:gap until the owner changed.
    private void Unsubscribe(string channel)
    {
        _ = LetGoAsync(_pool.RemoveAsync(channel), channel);
    }

    private async Task LetGoAsync(Task removal, string channel)
    {
        try { await removal; }
        catch (Exception e) when (e is not OperationCanceledException) { _log.LogWarning("Unsubscribing {Channel} failed: {Reason}", channel, e.Message); }
        Channels.Set(_pool.ChannelCount);
    }

    public string? SocketIdFor(string channel) => _pool.Get(channel)?.Connection.SocketId;

    /// <summary>Whether Pusher has confirmed the relay's subscription to <paramref name="channel"/>.</summary>
    public bool IsSubscribed(string channel) => _pool.Get(channel)?.State == SubscriptionState.Subscribed;

    /// <summary>
    /// How many of a channel's events may be queued for storage before the oldest is stored, when the store keeps
    /// queue order (LiteDB): a channel's events then share group commits instead of waiting one commit each
    /// (docs/storage.md, "Appends in flight"). Readers get them in order either way.
    /// </summary>
    internal const int StoresInFlightPerChannel = 64;

    // Events of one channel are stored in the order heard; channels do not wait for each other.
    private async Task PumpAsync(PusherSubscription subscription)
    {
        var inFlight = _router.QueuesAppendsInOrder ? StoresInFlightPerChannel : 0;
        var storing = new Queue<Task>();
        try
        {
            await foreach (var e in subscription.Events.ReadAllAsync(_stopping.Token))
            {
                try
                {
                    switch (e.Kind)
                    {
                        case PusherEventKind.Event:
                            Heard.Inc();
                            var heard = new IncomingEvent(e.Channel, e.Event, e.RawData ?? e.Data?.ToString() ?? "", e.UserId) { HeardAt = e.ReceivedAt };
                            if (await _ownership.AdmitAsync(heard) is { } admitted) storing.Enqueue(await _router.QueueAsync(admitted));
                            break;
                        case PusherEventKind.Gap when e.GapReason == GapReason.BufferOverflow:
                            // The channel's events came faster than they could be stored and the oldest were dropped.
                            _log.LogWarning("{Channel}: {Dropped} events dropped, heard faster than they could be stored", e.Channel, e.DroppedEvents);
                            await _router.ReportGapAsync([e.Channel], "relay_overloaded");
                            break;
                    }
                }
                catch (Exception failure) when (failure is not OperationCanceledException)
                {
                    await ReportFailedAsync(failure, e.Channel);
                }
                while (storing.Count > inFlight || (storing.Count > 0 && storing.Peek().IsCompleted))
                    await SettleAsync(storing.Dequeue(), subscription.Channel);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            _log.LogError(e, "Delivering events of {Channel} stopped", subscription.Channel);
        }
        finally
        {
            while (storing.TryDequeue(out var stored)) await SettleAsync(stored, subscription.Channel);
        }
    }

    private async Task SettleAsync(Task stored, string channel)
    {
        try { await stored; }
        catch (Exception failure) when (failure is not OperationCanceledException) { await ReportFailedAsync(failure, channel); }
        catch (OperationCanceledException) { }
    }

    // One event that could not be handled (an unexpected error of the store or the cluster's Redis) must not end the
    // channel's pump: the events after it would pile up unheard, with no gap told.
    private async Task ReportFailedAsync(Exception failure, string channel)
    {
        Failed.Inc();
        _log.LogError(failure, "An event of {Channel} could not be stored; its inboxes get relay:gap", channel);
        await ReportLostAsync(channel);
    }

    private async Task ReportLostAsync(string channel)
    {
        try { await _router.ReportGapAsync([channel], "storage_unavailable"); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogError(e, "The relay:gap of {Channel} could not be stored either", channel);
        }
    }

    public string Name => "pusher_connection";

    public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        var s = _pool.GetSnapshot();
        Connected.Set(s.ConnectedConnections);
        if (s.Refused) return Task.FromResult(ReadinessResult.NotReady("Pusher refused the connection: " + s.LastError));
        return Task.FromResult(s.AllConnected
            ? ReadinessResult.Ok($"{s.ConnectedConnections} connections, {s.SubscribedChannels}/{s.Channels} channels subscribed, {s.Reconnects} reconnects")
            : ReadinessResult.NotReady($"{s.ConnectedConnections}/{s.Connections} connections up; last error: {s.LastError?.ToString() ?? "none"}"));
    }

    public Task StopAsync(CancellationToken cancellationToken) => ShutdownAsync();

    public async ValueTask DisposeAsync() => await ShutdownAsync();

    // The host stops it and the container disposes it, in either order: the first call does the work.
    private int _shutdown;

    private async Task ShutdownAsync()
    {
        if (Interlocked.Exchange(ref _shutdown, 1) == 1) return;
        await _stopping.CancelAsync();
        await _pool.DisposeAsync();
    }
}
