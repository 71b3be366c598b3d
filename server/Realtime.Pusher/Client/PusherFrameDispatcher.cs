using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Validation;

namespace Realtime.Pusher.Client;

/// <summary>
/// What a <see cref="PusherConnection"/> does with each frame the server sends: the handshake
/// (<c>pusher:connection_established</c>, then sign-in and subscribing every channel), server errors, pings,
/// subscription outcomes, member changes and events, each handed to its channel's <see cref="PusherSubscription"/>.
/// Also sends <c>pusher:subscribe</c> (signed here or by the authorizer) once per channel and session.
/// </summary>
internal sealed class PusherFrameDispatcher(PusherConnection connection)
{
    private ILogger Logger => connection.Logger;
    private PusherClientOptions Client => connection.Client;
    private SubscriptionTable Table => connection.Table;

    public async Task HandleAsync(PusherSession session, PusherMessage msg)
    {
        switch (msg.Event)
        {
            case "pusher:connection_established":
                OnEstablished(session, msg);
                return;
            case "pusher:error":
                OnServerError(session, msg);
                return;
            case "pusher:ping":
                await session.SendAsync(PusherProtocol.Pong(), session.Cts.Token).ConfigureAwait(false);
                return;
            case "pusher:pong":
                return;
            case "pusher:signin_success":
                session.SignedIn = true;
                Logger.LogDebug("Pusher connection {Id}: signed in", connection.Id);
                return;
        }

        if (msg.Channel is null) return;
        var sub = Table.Get(msg.Channel);
        if (sub is null) return;
        var now = connection.Time.GetUtcNow();
        switch (msg.Event)
        {
            case "pusher_internal:subscription_succeeded":
                sub.OnSucceeded(msg);
                Table.Resubscribed(sub, now);
                connection.FlushGapIfComplete();
                break;
            case "pusher:subscription_error":
                OnSubscriptionError(sub, msg);
                break;
            case "pusher_internal:member_added":
                sub.OnMemberAdded(msg, now);
                break;
            case "pusher_internal:member_removed":
                sub.OnMemberRemoved(msg, now);
                break;
            default:
                if (!msg.Event.StartsWith("pusher_internal:", StringComparison.Ordinal)) sub.OnEvent(msg, now);
                break;
        }
    }

    private void OnEstablished(PusherSession session, PusherMessage msg)
    {
        var data = msg.Data as JObject;
        var socketId = PusherProtocol.ScalarToString(data?["socket_id"]);
        if (!PusherLimits.IsValidSocketId(socketId))
        {
            session.Abort($"pusher:connection_established without a valid socket_id ({msg.RawData})");
            return;
        }
        var activity = Client.ActivityTimeout;
        var serverSeconds = data?["activity_timeout"];
        if (serverSeconds?.Type is JTokenType.Integer or JTokenType.Float && (double)serverSeconds > 0)
        {
            var server = TimeSpan.FromSeconds((double)serverSeconds);
            if (server < activity) activity = server;
        }
        session.SocketId = socketId;
        session.ActivityTimeout = activity;
        session.Established = true;
        session.EstablishedSignal.TrySetResult();

        bool reconnect;
        lock (connection.Gate)
        {
            reconnect = connection.History.Connected(connection.Time.GetUtcNow());
            if (reconnect) Table.ExpectGaps();
        }
        Logger.LogInformation("Pusher connection {Id}: connected as {SocketId} (activity timeout {Activity} s){Again}",
            connection.Id, socketId, activity.TotalSeconds, reconnect ? ", reconnected" : "");
        connection.SetState(PusherConnectionState.Connected);
        connection.FirstConnectSucceeded();
        _ = AfterEstablishedAsync(session);
    }

    /// <summary>Signs in (if configured) and subscribes every channel on a new connection. Runs off the reader.</summary>
    private async Task AfterEstablishedAsync(PusherSession session)
    {
        try
        {
            if (Client.SignInAs is { } user)
            {
                if (connection.SelfSigner is not { } signer)
                {
                    connection.Report(new PusherError { Kind = PusherErrorKind.ServerError, Message = "SignInAs is set but PusherOptions.Secret is empty: cannot sign in" });
                }
                else
                {
                    var auth = signer.AuthenticateUser(session.SocketId!, user);
                    await session.SendAsync(PusherProtocol.SignIn(auth.Auth, auth.UserData), session.Cts.Token).ConfigureAwait(false);
                }
            }
            foreach (var sub in Table.All)
            {
                if (!connection.IsCurrent(session) || session.Cts.IsCancellationRequested) return;
                await SendSubscribeAsync(session, sub).ConfigureAwait(false);
            }
            connection.FlushGapIfComplete();
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (Exception e)
        {
            Logger.LogError(e, "Pusher connection {Id}: resubscribing failed", connection.Id);
        }
    }

    public async Task SendSubscribeAsync(PusherSession session, PusherSubscription sub)
    {
        lock (connection.Gate)
        {
            if (!connection.IsCurrent(session) || !session.Established) return;
            if (!Table.ClaimSend(sub, session)) return;
        }
        sub.MarkPending();
        string frame;
        try
        {
            frame = await BuildSubscribeFrameAsync(session, sub).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (session.Cts.IsCancellationRequested || connection.Lifetime.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            var error = new PusherError
            {
                Kind = PusherErrorKind.SubscriptionFailed,
                Channel = sub.Channel,
                Message = "Authorization failed: " + e.Message,
                At = connection.Time.GetUtcNow(),
            };
            FailSubscription(sub, error);
            return;
        }
        if (!Table.IsCurrent(sub)) return;
        await session.SendAsync(frame, session.Cts.Token).ConfigureAwait(false);
    }

    private async Task<string> BuildSubscribeFrameAsync(PusherSession session, PusherSubscription sub)
    {
        if (sub.Type == PusherChannelType.Public) return PusherProtocol.Subscribe(sub.Channel);
        var socketId = session.SocketId!;
        ChannelAuthorization auth;
        if (Client.Authorizer is { } authorizer)
        {
            auth = await authorizer(socketId, sub.Channel, session.Cts.Token).ConfigureAwait(false)
                   ?? throw new InvalidOperationException("the authorizer returned null");
        }
        else if (sub.Type == PusherChannelType.Presence)
        {
            var member = sub.Member ?? throw new InvalidOperationException("a presence channel needs a PresenceMember");
            auth = connection.SelfSigner!.AuthorizePresenceChannel(socketId, sub.Channel, member.UserId, member.UserInfo);
        }
        else
        {
            auth = connection.SelfSigner!.AuthorizePrivateChannel(socketId, sub.Channel);
        }
        return PusherProtocol.Subscribe(sub.Channel, auth.Auth, auth.ChannelData);
    }

    private void OnServerError(PusherSession session, PusherMessage msg)
    {
        var data = msg.Data as JObject;
        int? code = data?["code"]?.Type == JTokenType.Integer ? (int)data["code"]! : null;
        var message = PusherProtocol.ScalarToString(data?["message"]) ?? msg.RawData ?? "(no message)";
        if (code is >= 4000 and <= 4299)
        {
            // Connection-level: the close that follows carries (or, if missing, takes) this code.
            session.PusherErrorCode = code;
            session.PusherErrorMessage = message;
            Logger.LogDebug("Pusher connection {Id}: pusher:error {Code} {Message}", connection.Id, code, message);
            return;
        }
        var error = new PusherError { Kind = PusherErrorKind.ServerError, Code = code, Message = message, Channel = msg.Channel, At = connection.Time.GetUtcNow() };
        Logger.LogWarning("Pusher connection {Id}: pusher:error {Error}", connection.Id, error);
        connection.RecordError(error);
        connection.Report(error);
    }

    private void OnSubscriptionError(PusherSubscription sub, PusherMessage msg)
    {
        var data = msg.Data as JObject;
        int? status = data?["status"]?.Type == JTokenType.Integer ? (int)data["status"]! : null;
        var text = PusherProtocol.ScalarToString(data?["error"]) ?? PusherProtocol.ScalarToString(data?["type"]) ?? msg.RawData ?? "subscription refused";
        var type = PusherProtocol.ScalarToString(data?["type"]);
        FailSubscription(sub, new PusherError
        {
            Kind = PusherErrorKind.SubscriptionFailed,
            Channel = sub.Channel,
            Code = status,
            Message = type is null || text == type ? text : $"{type}: {text}",
            At = connection.Time.GetUtcNow(),
        });
    }

    private void FailSubscription(PusherSubscription sub, PusherError error)
    {
        Logger.LogWarning("Pusher connection {Id}: subscribing to {Channel} failed: {Error}", connection.Id, sub.Channel, error.Message);
        sub.OnFailed(error);
        lock (connection.Gate)
        {
            connection.RecordError(error);
            Table.StopExpectingGap(sub.Channel);
        }
        connection.Report(error);
        connection.FlushGapIfComplete();
    }
}
