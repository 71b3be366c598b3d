using Microsoft.Extensions.Logging;

namespace Realtime.Pusher.Client;

/// <summary>
/// Keeps one <see cref="PusherSession"/> honest: <c>pusher:connection_established</c> must come within
/// <see cref="PusherClientOptions.ConnectTimeout"/>; after the session's activity timeout without hearing
/// from the server it sends <c>pusher:ping</c>, and with nothing back within
/// <see cref="PusherClientOptions.PongTimeout"/> it aborts the session (the connection then reconnects).
/// </summary>
internal static class PusherHeartbeat
{
    public static async Task RunAsync(PusherSession session, PusherClientOptions client, TimeProvider time, ILogger logger, int connectionId)
    {
        var token = session.Cts.Token;
        try
        {
            await session.EstablishedSignal.Task.WaitAsync(client.ConnectTimeout, time, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            session.Abort($"no pusher:connection_established within {client.ConnectTimeout.TotalSeconds:0.#} s");
            return;
        }
        while (!token.IsCancellationRequested)
        {
            var idle = time.GetElapsedTime(Interlocked.Read(ref session.LastReceived));
            if (idle < session.ActivityTimeout)
            {
                await Task.Delay(session.ActivityTimeout - idle, time, token).ConfigureAwait(false);
                continue;
            }
            var pingAt = time.GetTimestamp();
            logger.LogDebug("Pusher connection {Id}: idle for {Idle}, sending pusher:ping", connectionId, idle);
            await session.SendAsync(PusherProtocol.Ping(), token).ConfigureAwait(false);
            await Task.Delay(client.PongTimeout, time, token).ConfigureAwait(false);
            if (Interlocked.Read(ref session.LastReceived) < pingAt)
            {
                session.Abort($"no answer to pusher:ping within {client.PongTimeout.TotalSeconds:0.#} s");
                return;
            }
        }
    }
}
