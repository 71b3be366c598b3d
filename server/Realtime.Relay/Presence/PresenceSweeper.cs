namespace Realtime.Relay.Presence;

/// <summary>
/// Removes the players of servers that stopped reporting (docs/api.md "Publishing on a client's behalf": 45 s), and takes every
/// player out of the presence channel when the relay stops.
/// </summary>
public sealed class PresenceSweeper(PresenceRoster roster, TimeProvider clock, ILogger<PresenceSweeper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(roster.Options.SweepInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await roster.SweepAsync(); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Presence sweep failed");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Dashboards see the players leave now rather than when Pusher notices the sockets are gone.
        await roster.DisposeAsync();
    }
}
