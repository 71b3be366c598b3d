using Newtonsoft.Json;
using Realtime.Relay.OpenApi;

namespace Realtime.Relay.Webhooks;

/// <summary>
/// What Pusher posts to <c>POST /api/v1/pusher/webhooks</c>, for the OpenAPI document only: the
/// relay verifies the signature over the raw bytes, then reads them with the Pusher library.
/// </summary>
[RequiredFields("time_ms", "events")]
public sealed record WebhookBody(
    [property: JsonProperty("time_ms")] long TimeMs,
    IReadOnlyList<WebhookBodyEvent> Events);

/// <summary>One event of a webhook; fields beyond <c>name</c> come with the kinds of event that carry them.</summary>
[RequiredFields("name")]
public sealed record WebhookBodyEvent(
    string Name,
    string? Channel,
    string? Event,
    string? Data,
    [property: JsonProperty("socket_id")] string? SocketId,
    [property: JsonProperty("user_id")] string? UserId,
    [property: JsonProperty("subscription_count")] int? SubscriptionCount);
