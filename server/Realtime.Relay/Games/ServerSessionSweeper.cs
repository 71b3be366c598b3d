using Microsoft.Extensions.Options;

namespace Realtime.Relay.Games;

/// <summary>Ends game-server sessions that stopped calling (docs/api.md "Games and game-server sessions": after 60 s of silence).</summary>
public sealed class ServerSessionSweeper(GameService games, IOptions<ServerSessionOptions> options, ILogger<ServerSessionSweeper> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SweepInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken);
                await games.SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Keep sweeping: one bad round must not stop the host or leave sessions forever.
                log.LogError(e, "Game-server session sweep failed");
            }
        }
    }
}
