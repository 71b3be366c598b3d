using Realtime.Relay.Inbox;
using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Keeps every node's <see cref="ChannelRouter"/> routing every inbox (docs/cluster.md, "Routes"): a node whose
/// router changed an inbox's channels publishes the inbox id on <c>relay:cluster:routes</c>; the others read that
/// inbox's state from the shared store and update their own routes. Pub/sub may miss a message (a reconnect), so
/// each node also reloads every inbox state now and then. Reads of one inbox's state run one at a time, and one is
/// asked again after every later change, so an older state read late never overwrites a newer one (a route would be
/// missing, and its events dropped for that inbox, until the next reload).
/// </summary>
public sealed class RedisRouteSync : BackgroundService
{
    private static readonly RedisChannel Routes = RedisChannel.Literal("relay:cluster:routes");
    [ThreadStatic] private static bool _applyingRemote;

    private readonly IConnectionMultiplexer _redis;
    private readonly ChannelRouter _router;
    private readonly IInboxStore _inboxes;
    private readonly INodeMembership _membership;
    private readonly ClusterOptions _options;
    private readonly ILogger<RedisRouteSync> _log;
    /// <summary>Inboxes whose state is being read and applied; <c>true</c> once it must be read again afterwards.</summary>
    private readonly Dictionary<string, bool> _refreshing = new(StringComparer.Ordinal);
    /// <summary>While a full reload runs, the inboxes refreshed meanwhile: their own refresh is newer than its snapshot.</summary>
    private HashSet<string>? _refreshedDuringReload;

    public RedisRouteSync(IConnectionMultiplexer redis, ChannelRouter router, IInboxStore inboxes, INodeMembership membership,
        ClusterOptions options, ILogger<RedisRouteSync> log)
    {
        _redis = redis;
        _router = router;
        _inboxes = inboxes;
        _membership = membership;
        _options = options;
        _log = log;
        router.InboxRoutesChanged += Publish;
    }

    private void Publish(string inboxId)
    {
        if (_applyingRemote) return; // told by another node: it already published
        _ = _redis.GetSubscriber().PublishAsync(Routes, _membership.NodeId + "\n" + inboxId, CommandFlags.FireAndForget);
        // A refresh in flight may have read the state before this change and apply it after: it reads once more.
        lock (_refreshing)
        {
            if (_refreshing.ContainsKey(inboxId)) _refreshing[inboxId] = true;
        }
    }

    /// <summary>Starts listening (before the first full reload, so no change falls between them).</summary>
    public async Task ListenAsync()
    {
        var queue = await _redis.GetSubscriber().SubscribeAsync(Routes);
        queue.OnMessage(message =>
        {
            var text = (string?)message.Message ?? "";
            var split = text.IndexOf('\n');
            if (split < 0 || text[..split] == _membership.NodeId) return;
            Refresh(text[(split + 1)..]);
        });
    }

    /// <summary>Reads the inbox's state and applies it; if one is being read now, reads again once that is applied.</summary>
    private void Refresh(string inboxId)
    {
        lock (_refreshing)
        {
            _refreshedDuringReload?.Add(inboxId);
            if (_refreshing.ContainsKey(inboxId))
            {
                _refreshing[inboxId] = true;
                return;
            }
            _refreshing[inboxId] = false;
        }
        _ = RefreshUntilCurrentAsync(inboxId);
    }

    private async Task RefreshUntilCurrentAsync(string inboxId)
    {
        while (true)
        {
            try { await ApplyAsync(inboxId); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning("Cluster: the routes of an inbox could not be refreshed ({Reason}); the next reload heals them", e.Message);
            }
            lock (_refreshing)
            {
                if (!_refreshing[inboxId])
                {
                    _refreshing.Remove(inboxId);
                    return;
                }
                _refreshing[inboxId] = false;
            }
        }
    }

    private async Task ApplyAsync(string inboxId)
    {
        InboxState? state;
        try { state = await _inboxes.StateOfAsync(inboxId); }
        catch (Exception e) when (Storage.StorageFailures.IsStorageFailure(e)) { return; } // the periodic reload heals it
        _applyingRemote = true;
        try
        {
            if (state is not null) _router.Update(state);
            else _router.Remove(inboxId);
        }
        finally
        {
            _applyingRemote = false;
        }
    }

    /// <summary>Routes every stored inbox (a missed message heals here).</summary>
    public async Task ReloadAllAsync()
    {
        HashSet<string> refreshed = new(StringComparer.Ordinal);
        lock (_refreshing) _refreshedDuringReload = refreshed;
        try
        {
            var states = await _inboxes.AllStatesAsync();
            _applyingRemote = true;
            try
            {
                foreach (var state in states)
                {
                    // Asked to refresh since the snapshot began: that refresh reads later, so the snapshot may be older.
                    // Checked and applied under the lock, so a refresh asked now reads after this is applied.
                    lock (_refreshing)
                    {
                        if (!refreshed.Contains(state.InboxId)) _router.Update(state);
                    }
                }
            }
            finally
            {
                _applyingRemote = false;
            }
        }
        finally
        {
            lock (_refreshing) _refreshedDuringReload = null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try { await ListenAsync(); }
        catch (Exception e) when (e is RedisException or TimeoutException) { _log.LogWarning("Cluster: route updates cannot be heard ({Reason})", e.Message); }
        using var timer = new PeriodicTimer(_options.Renew * 15);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await ReloadAllAsync(); }
                catch (Exception e) when (Storage.StorageFailures.IsStorageFailure(e) || e is RedisException) { }
            }
        }
        catch (OperationCanceledException) { }
    }
}
