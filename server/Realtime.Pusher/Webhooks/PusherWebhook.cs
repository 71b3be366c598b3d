using Newtonsoft.Json.Linq;

namespace Realtime.Pusher.Webhooks;

/// <summary>A verified Pusher webhook: <c>{"time_ms":…,"events":[…]}</c>.</summary>
public sealed record PusherWebhook
{
    public required long TimeMs { get; init; }
    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(TimeMs);
    public required IReadOnlyList<PusherWebhookEvent> Events { get; init; }
}

/// <summary>
/// One webhook event. <see cref="Name"/> is e.g. channel_occupied, channel_vacated, member_added,
/// member_removed, client_event, cache_miss, subscription_count; the other fields are present
/// when that kind of event carries them. <see cref="Raw"/> keeps everything as sent.
/// </summary>
public sealed record PusherWebhookEvent
{
    public required string Name { get; init; }
    public string? Channel { get; init; }
    /// <summary>client_event: the client event's name.</summary>
    public string? Event { get; init; }
    /// <summary>client_event: the event data (a string, as sent by the client).</summary>
    public string? Data { get; init; }
    public string? SocketId { get; init; }
    public string? UserId { get; init; }
    public int? SubscriptionCount { get; init; }
    public required JObject Raw { get; init; }
}

public enum WebhookFailure
{
    None = 0,
    MissingKey,
    UnknownKey,
    MissingSignature,
    InvalidSignature,
    InvalidBody,
}

/// <summary>Outcome of <see cref="Auth.PusherAuthorizer.VerifyWebhook(string?, string?, byte[])"/>.</summary>
public sealed record PusherWebhookResult
{
    public bool IsValid => Failure == WebhookFailure.None && Webhook is not null;
    public WebhookFailure Failure { get; init; }
    /// <summary>Why verification failed, in words fit for a log line; null when valid.</summary>
    public string? Error { get; init; }
    public PusherWebhook? Webhook { get; init; }

    internal static PusherWebhookResult Fail(WebhookFailure failure, string error) => new() { Failure = failure, Error = error };
}
