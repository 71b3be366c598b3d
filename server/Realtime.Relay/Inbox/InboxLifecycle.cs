using Realtime.Relay.Clients;

namespace Realtime.Relay.Inbox;

/// <summary>Opens and closes inboxes for pairing and game sessions, keeping the router in step.</summary>
public sealed class InboxLifecycle(InboxWriter writer, ChannelRouter router) : IInboxLifecycle
{
    public async Task OpenAsync(RelayClient client, CancellationToken cancellationToken)
    {
        await writer.OpenAsync(client);
        router.Update(writer.StateOf(client.InboxId)!);
    }

    public async Task CloseAsync(RelayClient client, string reason, CancellationToken cancellationToken)
    {
        router.Remove(client.InboxId);
        await writer.CloseAsync(client);
    }
}

/// <summary>Drops expired events on a timer (retention by age; count is enforced on append).</summary>
public sealed class InboxRetention(InboxWriter writer, InboxOptions options, ILogger<InboxRetention> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RetentionSweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try { await writer.ExpireAsync(); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Retention sweep failed"); }
        }
    }
}
