namespace Realtime.Pusher;

/// <summary>
/// Where a Pusher app lives and how to sign for it. Works for Pusher's clusters
/// (set <see cref="Cluster"/>) and for self-hosted Pusher-protocol servers such as
/// soketi (set <see cref="Host"/>, <see cref="Port"/>, <see cref="Scheme"/>).
/// </summary>
public sealed record PusherOptions
{
    public required string AppId { get; init; }
    public required string Key { get; init; }
    public required string Secret { get; init; }
    public string? Cluster { get; init; }

    /// <summary>Overrides the cluster's host, e.g. "127.0.0.1" for soketi.</summary>
    public string? Host { get; init; }
    public int? Port { get; init; }

    /// <summary>"https" (default) or "http".</summary>
    public string Scheme { get; init; } = "https";

    /// <summary>Per-request timeout for the REST API.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a timeout, network error or 5xx is retried (4xx never is).</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>Delay before the first retry; doubled for each further retry (capped at 2 s).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public bool UseTls => string.Equals(Scheme, "https", StringComparison.OrdinalIgnoreCase);

    /// <summary>The REST API host: explicit host, else the cluster's, else Pusher's default.</summary>
    public string RestHost => Host ?? (string.IsNullOrEmpty(Cluster) ? "api.pusherapp.com" : $"api-{Cluster}.pusher.com");

    public int RestPort => Port ?? (UseTls ? 443 : 80);

    /// <summary>The WebSocket host (clients connect here): explicit host, else the cluster's.</summary>
    public string WebSocketHost => Host ?? (string.IsNullOrEmpty(Cluster) ? "ws.pusherapp.com" : $"ws-{Cluster}.pusher.com");

    public Uri RestBaseUri => new UriBuilder(UseTls ? "https" : "http", RestHost, RestPort).Uri;
}
