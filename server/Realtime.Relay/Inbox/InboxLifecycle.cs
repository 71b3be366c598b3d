using Realtime.Relay.Clients;

namespace Realtime.Relay.Inbox;

/// <summary>Keeps the router in step with the inboxes storage opened and closed.</summary>
public sealed class InboxLifecycle(IInboxStore inboxes, ChannelRouter router, IEnumerable<IClientClosedHandler> closedHandlers)
    : IInboxLifecycle
{
    /// <summary>
    /// Routes follow the stored state, read under this gate: when a session's end and its
    /// re-registration finish close together, whichever refreshes last sees the final state, so
    /// a live inbox is never left unrouted. It orders routing only; storage needs no lock.
    /// </summary>
    private readonly SemaphoreSlim _routing = new(1, 1);

    /// <summary>
    /// Synchronous for its callers; with LiteDB the refresh completes before this returns (the
    /// state is read from memory), with Redis it completes once the state is read.
    /// </summary>
    public void Opened(RelayClient client) => _ = RefreshAsync(client.InboxId);

    public async Task ClosedAsync(RelayClient client, string reason)
    {
        await RefreshAsync(client.InboxId);
        foreach (var handler in closedHandlers) await handler.OnClientClosedAsync(client);
    }

    private async Task RefreshAsync(string inboxId)
    {
        // Waits here rather than awaiting: with LiteDB the whole refresh then runs before Opened returns,
        // as it did under a plain lock; with Redis only the read of the state is awaited.
        _routing.Wait();
        try
        {
            // In a cluster another node may change the inbox right after this read (a subscription set on another node)
            // and this node route that change (RedisRouteSync) before this read's answer is applied: read again until
            // two reads agree, so an older state applied last never leaves a route missing until the next reload
            // (docs/cluster.md, "Routes").
            var state = await inboxes.StateOfAsync(inboxId);
            while (true)
            {
                if (state is not null) router.Update(state, announce: true);
                else router.Remove(inboxId, announce: true);
                var again = await inboxes.StateOfAsync(inboxId);
                if (RoutesOf(again).SequenceEqual(RoutesOf(state))) break;
                state = again;
            }
        }
        catch (Exception e) when (Storage.StorageFailures.IsStorageFailure(e))
        {
            // Storage is down: the routes are rebuilt from the stored inboxes at the next start,
            // and the client's next subscription change refreshes them.
        }
        finally
        {
            _routing.Release();
        }
    }

    private static IReadOnlyList<string> RoutesOf(InboxState? state) => state is null ? [] : ChannelRouter.ChannelsOf(state);
}

/// <summary>
/// At start-up, before the relay listens: every inbox restored from disk is told
/// <c>relay:gap</c>, since events published while the relay was stopped were never heard
/// (in a cluster, only on channels no live node heard meanwhile: docs/cluster.md, "Restarts").
/// </summary>
public sealed class RestartGapReporter(ChannelRouter router, Cluster.IRestartGapScope scope, ILogger<RestartGapReporter> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try { await router.ReportRestartGapAsync(scope.MissedWhileDownAsync); }
        catch (Exception e) { log.LogError(e, "Telling restored inboxes about the restart gap failed"); }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Drops expired events on a timer (retention by age; count is enforced on append).</summary>
public sealed class InboxRetention(IInboxStore inboxes, InboxOptions options, ILogger<InboxRetention> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RetentionSweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try { await inboxes.ExpireAsync(); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Retention sweep failed"); }
        }
    }
}
