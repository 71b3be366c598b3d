using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Webhooks;
using Realtime.Relay.Clients;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Inbox;
using Realtime.Relay.PusherAuth;

namespace Realtime.Relay.Webhooks;

/// <summary>
/// 200: how many events the webhook held, how many reached a plugin's inbox, and <c>duplicate: true</c>
/// when this exact body was handled before (then nothing is delivered again).
/// </summary>
public sealed record WebhookReceived(
    int Received, int Delivered,
    [property: Newtonsoft.Json.JsonProperty(NullValueHandling = Newtonsoft.Json.NullValueHandling.Ignore)] bool? Duplicate);

/// <summary>
/// Pusher's webhooks, verified with the app secret. Occupancy of a plugin's channel becomes
/// <c>relay:watchers</c> in that plugin's inbox, so the plugin knows whether the dashboard is
/// watching. The relay itself is always subscribed to plugin channels, so it counts one
/// subscriber of its own: <c>subscription_count</c> events (Pusher, when subscription
/// counting is enabled) are read as watchers = count − 1. A webhook whose <c>time_ms</c> is more
/// than 5 minutes from now is refused (400 <c>stale_webhook</c>); one whose exact body was
/// handled before is acknowledged and ignored (<see cref="WebhookReplayGuard"/>).
/// </summary>
[ApiController]
[AllowAnonymous]
[RequiresPusher]
public sealed class PusherWebhooksController(
    IInboxStore inboxes, WebhookReplayGuard replays, ILogger<PusherWebhooksController> log, PusherAuthorizer? authorizer = null)
    : ControllerBase
{
    public const string WatchersEvent = "relay:watchers";

    [HttpPost("/api/v1/pusher/webhooks")]
    [OpenApi.DocumentedBody(typeof(WebhookBody), "application/json")]
    [ProducesResponseType<WebhookReceived>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status503ServiceUnavailable)]
    public async Task<IActionResult> Receive(CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await Request.Body.CopyToAsync(buffer, ct);
        var result = authorizer!.VerifyWebhook(Request.Headers["X-Pusher-Key"].ToString(), Request.Headers["X-Pusher-Signature"].ToString(), buffer.ToArray());
        if (!result.IsValid)
        {
            log.LogWarning("Refused a webhook: {Failure}", result.Failure);
            var status = result.Failure == WebhookFailure.InvalidBody ? 400 : 401;
            return Problems.Result(HttpContext, status, status == 400 ? ErrorCodes.InvalidRequest : ErrorCodes.InvalidWebhook,
                $"The webhook was refused: {result.Failure} ({result.Error}). Webhooks must be signed by Pusher with this app's key and secret.");
        }

        var webhook = result.Webhook!;
        if (!replays.IsFresh(webhook.Time))
        {
            log.LogWarning("Refused a webhook sent at {SentAt:O}: more than {Minutes} minutes from now", webhook.Time, WebhookReplayGuard.MaxAge.TotalMinutes);
            return Problems.Result(HttpContext, 400, ErrorCodes.StaleWebhook,
                $"The webhook's time_ms ({webhook.TimeMs}) is more than {WebhookReplayGuard.MaxAge.TotalMinutes:0} minutes from the relay's clock; it is refused as stale or replayed.");
        }
        if (replays.TryClaim(buffer.ToArray(), webhook.Time) is not { } claim)
            return Ok(new WebhookReceived(webhook.Events.Count, 0, Duplicate: true));
        try
        {
            return Ok(new WebhookReceived(webhook.Events.Count, await DeliverAsync(webhook), Duplicate: null));
        }
        catch
        {
            replays.Release(claim); // not handled: Pusher's retry must be
            throw;
        }
    }

    private async Task<int> DeliverAsync(PusherWebhook webhook)
    {
        var delivered = 0;
        foreach (var e in webhook.Events)
        {
            var watching = e.Name switch
            {
                "channel_occupied" => (bool?)true,
                "channel_vacated" => false,
                "subscription_count" when e.SubscriptionCount is { } count => count > 1,
                _ => null,
            };
            if (watching is null || e.Channel is null || !e.Channel.StartsWith(ChannelPolicy.PluginPrefix, StringComparison.Ordinal)) continue;
            var plugin = new RelayClient(ClientKind.Plugin, e.Channel[ChannelPolicy.PluginPrefix.Length..], null);
            if (await inboxes.StateOfAsync(plugin.InboxId) is null) continue;
            var data = new JObject { ["watching"] = watching, ["source"] = e.Name };
            if (e.SubscriptionCount is { } n) data["watchers"] = Math.Max(0, n - 1);
            await inboxes.AppendAsync([plugin.InboxId], new IncomingEvent(e.Channel, WatchersEvent, data.ToString(Newtonsoft.Json.Formatting.None)));
            delivered++;
        }
        return delivered;
    }
}
