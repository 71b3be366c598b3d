using Realtime.Pusher;

namespace Realtime.Relay.Configuration;

/// <summary>
/// Everything the relay reads from its environment, checked once at start.
/// Each value comes from the environment variable named in DESIGN.md (e.g. PUSHER_KEY) or,
/// failing that, from the usual ASP.NET Core key (e.g. Pusher__Key / appsettings "Pusher:Key").
/// </summary>
public sealed record RelaySettings
{
    public required PusherSettings Pusher { get; init; }
    public required JwtSettings Jwt { get; init; }
    public required string DatabasePath { get; init; }
    public Uri? PublicUrl { get; init; }
    /// <summary>Proxies whose X-Forwarded-For/-Proto/-Host are believed (RELAY_TRUSTED_PROXIES); empty: none are.</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>Browser origins allowed to call the API (RELAY_CORS_ORIGINS); none by default.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];
}

public sealed record PusherSettings
{
    public bool Enabled { get; init; }
    public required PusherOptions Options { get; init; }
}

public sealed record JwtSettings
{
    public required string Secret { get; init; }
    public string? Issuer { get; init; }
    public string? Audience { get; init; }
}

/// <summary>A setting that is missing or invalid: start-up stops with this one line.</summary>
public sealed class RelayConfigurationException(string message) : Exception(message);
