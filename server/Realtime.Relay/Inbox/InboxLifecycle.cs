using Realtime.Relay.Clients;

namespace Realtime.Relay.Inbox;

/// <summary>Opens and closes inboxes for pairing and game sessions, keeping the router in step.</summary>
public sealed class InboxLifecycle(InboxStore inboxes, ChannelRouter router, IEnumerable<IClientClosedHandler> closedHandlers)
    : IInboxLifecycle
{
    public async Task OpenAsync(RelayClient client, CancellationToken cancellationToken)
    {
        await inboxes.OpenAsync(client);
        router.Update(inboxes.StateOf(client.InboxId)!);
    }

    public async Task CloseAsync(RelayClient client, string reason, CancellationToken cancellationToken)
    {
        router.Remove(client.InboxId);
        await inboxes.CloseAsync(client);
        foreach (var handler in closedHandlers) await handler.OnClientClosedAsync(client);
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
public sealed class InboxRetention(InboxStore inboxes, InboxOptions options, ILogger<InboxRetention> log) : BackgroundService
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
