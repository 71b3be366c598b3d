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
    private readonly Lock _routing = new();

    public void Opened(RelayClient client) => Refresh(client.InboxId);

    public async Task ClosedAsync(RelayClient client, string reason)
    {
        Refresh(client.InboxId);
        foreach (var handler in closedHandlers) await handler.OnClientClosedAsync(client);
    }

    private void Refresh(string inboxId)
    {
        lock (_routing)
        {
            if (inboxes.StateOf(inboxId) is { } state) router.Update(state);
            else router.Remove(inboxId);
        }
    }
}

/// <summary>
/// At start-up, before the relay listens: every inbox restored from disk is told
/// <c>relay:gap</c>, since events published while the relay was stopped were never heard.
/// </summary>
public sealed class RestartGapReporter(ChannelRouter router, ILogger<RestartGapReporter> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try { await router.ReportRestartGapAsync(); }
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
