using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Realtime.Pusher.Client;

/// <summary>
/// A <see cref="PusherConnection"/>'s life: open a session, read it until it closes, then act on the close code —
/// stop for good on 4000–4099 (<see cref="PusherConnectionState.Failed"/>, reported once), reconnect at once on
/// 4200–4299 (a few times in a row), otherwise back off (<see cref="PusherClientOptions.OverCapacityBackoff"/> for
/// 4100–4199, <see cref="PusherClientOptions.NetworkBackoff"/> for lost networks) — until the connection is disposed.
/// </summary>
internal sealed class PusherSessionLoop(PusherConnection connection, PusherFrameDispatcher dispatcher)
{
    /// <summary>Reconnects in a row without a delay when the server asks for them (4200–4299).</summary>
    private const int ImmediateReconnects = 3;

    private readonly record struct Outcome(bool Established, int? CloseCode, string Reason, int? PusherErrorCode);

    private ILogger Logger => connection.Logger;
    private PusherClientOptions Client => connection.Client;
    private TimeProvider Time => connection.Time;

    public async Task RunAsync(CancellationToken ct)
    {
        var retry = 0;
        var immediate = 0;
        while (!ct.IsCancellationRequested)
        {
            connection.History.CountAttempt();
            connection.SetState(PusherConnectionState.Connecting);
            Outcome outcome;
            try { outcome = await RunSessionAsync(ct).ConfigureAwait(false); }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Logger.LogError(e, "Pusher connection {Id}: unexpected error", connection.Id);
                outcome = new Outcome(false, null, "unexpected error: " + e.Message, null);
            }
            if (ct.IsCancellationRequested) break;
            if (outcome.Established) { retry = 0; immediate = 0; }

            // A close without a Pusher code (e.g. the socket reset right after pusher:error) takes the error's code.
            var code = outcome.CloseCode is >= 4000 and <= 4999 ? outcome.CloseCode
                : outcome.PusherErrorCode is >= 4000 and <= 4299 ? outcome.PusherErrorCode
                : outcome.CloseCode;
            var action = PusherCloseCodes.Classify(code);
            if (action == CloseAction.Stop)
            {
                Refused(code, outcome.Reason);
                return;
            }

            TimeSpan delay;
            if (action == CloseAction.ReconnectNow && immediate++ < ImmediateReconnects)
            {
                delay = TimeSpan.Zero;
            }
            else
            {
                retry++;
                delay = (action == CloseAction.BackoffOverCapacity ? Client.OverCapacityBackoff : Client.NetworkBackoff).Delay(retry);
            }
            Lost(code, outcome, delay);
            if (delay > TimeSpan.Zero)
            {
                try { await Task.Delay(delay, Time, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    private void Refused(int? code, string reason)
    {
        var error = new PusherError
        {
            Kind = PusherErrorKind.ConnectionRefused,
            Code = code,
            Message = $"Pusher refused the connection to {connection.Uri.GetLeftPart(UriPartial.Path)} ({code}): {reason}. " +
                      "Not reconnecting: check the app key, cluster/host and app settings.",
            At = Time.GetUtcNow(),
        };
        Logger.LogError("Pusher connection {Id}: {Error}", connection.Id, error.Message);
        List<PusherSubscription> subs;
        lock (connection.Gate)
        {
            connection.RecordError(error);
            subs = connection.Table.All;
        }
        connection.SetState(PusherConnectionState.Failed);
        foreach (var sub in subs) sub.OnConnectionRefused(error);
        connection.FirstConnectFailed(new PusherConnectionException(error));
        connection.Report(error);
    }

    private void Lost(int? code, Outcome outcome, TimeSpan delay)
    {
        var lost = new PusherError
        {
            Kind = PusherErrorKind.ConnectionLost,
            Code = code,
            Message = (outcome.Established ? "Connection lost: " : "Could not connect: ") + outcome.Reason +
                      $"; retrying in {delay.TotalMilliseconds:0} ms",
            At = Time.GetUtcNow(),
        };
        bool report;
        lock (connection.Gate)
        {
            connection.RecordError(lost);
            report = connection.History.FirstFailureOfOutage();
        }
        if (report)
        {
            Logger.LogWarning("Pusher connection {Id}: {Error}", connection.Id, lost.Message);
            connection.Report(lost);
        }
        else
        {
            Logger.LogDebug("Pusher connection {Id}: {Error}", connection.Id, lost.Message);
        }
        connection.SetState(PusherConnectionState.Unavailable);
    }

    private async Task<Outcome> RunSessionAsync(CancellationToken ct)
    {
        using var ws = new ClientWebSocket();
        using var session = new PusherSession(ws, ct, Time.GetTimestamp());
        try
        {
            using var connectCts = CancellationTokenSource.CreateLinkedTokenSource(session.Cts.Token);
            connectCts.CancelAfter(Client.ConnectTimeout);
            await ws.ConnectAsync(connection.Uri, connectCts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is WebSocketException or OperationCanceledException or HttpRequestException or IOException)
        {
            var why = e is OperationCanceledException ? $"no WebSocket within {Client.ConnectTimeout.TotalSeconds:0.#} s" : PusherSession.Innermost(e);
            return new Outcome(false, null, why, null);
        }

        connection.Attach(session);
        var heartbeat = PusherHeartbeat.RunAsync(session, Client, Time, Logger, connection.Id);
        int? closeCode = null;
        string reason;
        try
        {
            await session.ReadFramesAsync(Client.MaxMessageBytes, Time,
                msg => dispatcher.HandleAsync(session, msg),
                ignored => Logger.LogWarning("Pusher connection {Id}: ignored a frame: {Reason}", connection.Id, ignored)).ConfigureAwait(false);
            closeCode = (int?)ws.CloseStatus;
            reason = session.PusherErrorMessage ?? (string.IsNullOrEmpty(ws.CloseStatusDescription)
                ? $"closed by the server ({closeCode?.ToString() ?? "no code"})"
                : ws.CloseStatusDescription!);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            reason = session.AbortReason ?? PusherSession.Innermost(e);
        }
        finally
        {
            session.Abort(session.AbortReason ?? "closed");
            connection.Detach(session);
            try { await heartbeat.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        return new Outcome(session.Established, closeCode, reason, session.PusherErrorCode);
    }
}
