using Realtime.Pusher;

namespace Realtime.Relay.Configuration;

/// <summary>Reads and validates <see cref="RelaySettings"/>; the first problem found is reported.</summary>
public static class RelaySettingsLoader
{
    public const int MinJwtSecretBytes = 32;

    // Pusher names clusters like mt1, us2, eu, ap3: a URL or a host name here is a mistake that
    // would otherwise surface only as a connection failure to "ws-https://….pusher.com".
    private static readonly System.Text.RegularExpressions.Regex ClusterName = new("^[a-z0-9]+(-[a-z0-9]+)*$");

    public static RelaySettings Load(IConfiguration config)
    {
        string? Get(string envName, string key) =>
            NullIfBlank(config[envName]) ?? NullIfBlank(config[key]);

        string Require(string envName, string key, string why)
        {
            return Get(envName, key) ?? throw new RelayConfigurationException(
                $"{envName} is not set: {why} (set it in the environment, or {key.Replace(":", "__")}).");
        }

        var enabled = ParseBool(Get("PUSHER_ENABLED", "Pusher:Enabled") ?? "true", "PUSHER_ENABLED");

        var scheme = (Get("PUSHER_SCHEME", "Pusher:Scheme") ?? "https").ToLowerInvariant();
        if (scheme is not ("http" or "https"))
            throw new RelayConfigurationException($"PUSHER_SCHEME must be http or https, not '{scheme}'.");

        int? port = null;
        if (Get("PUSHER_PORT", "Pusher:Port") is { } portText)
        {
            if (!int.TryParse(portText, out var p) || p is < 1 or > 65535)
                throw new RelayConfigurationException($"PUSHER_PORT must be a port number (1-65535), not '{portText}'.");
            port = p;
        }

        var host = Get("PUSHER_HOST", "Pusher:Host");
        var cluster = Get("PUSHER_CLUSTER", "Pusher:Cluster");
        if (cluster is not null && !ClusterName.IsMatch(cluster))
            throw new RelayConfigurationException(
                $"PUSHER_CLUSTER must be a Pusher cluster name such as us2 or eu (letters, digits, dashes), not '{cluster}'; for a self-hosted server set PUSHER_HOST instead.");
        PusherOptions options;
        if (enabled)
        {
            if (host is null && cluster is null)
                throw new RelayConfigurationException("PUSHER_CLUSTER is not set: name the Pusher cluster (e.g. us2), or set PUSHER_HOST for a self-hosted server such as soketi.");
            options = new PusherOptions
            {
                AppId = Require("PUSHER_APP_ID", "Pusher:AppId", "the Pusher app id is needed to publish"),
                Key = Require("PUSHER_KEY", "Pusher:Key", "the Pusher app key is needed to connect"),
                Secret = Require("PUSHER_SECRET", "Pusher:Secret", "the Pusher app secret is needed to sign"),
                Cluster = cluster,
                Host = host,
                Port = port,
                Scheme = scheme,
            };
        }
        else
        {
            options = new PusherOptions
            {
                AppId = Get("PUSHER_APP_ID", "Pusher:AppId") ?? "",
                Key = Get("PUSHER_KEY", "Pusher:Key") ?? "",
                Secret = Get("PUSHER_SECRET", "Pusher:Secret") ?? "",
                Cluster = cluster, Host = host, Port = port, Scheme = scheme,
            };
        }

        var jwtSecret = Require("AUTH_JWT_SECRET", "Auth:JwtSecret", "platform users' JWTs cannot be checked without it");
        if (System.Text.Encoding.UTF8.GetByteCount(jwtSecret) < MinJwtSecretBytes)
            throw new RelayConfigurationException($"AUTH_JWT_SECRET is too short: HS256 needs at least {MinJwtSecretBytes} bytes.");

        Uri? publicUrl = null;
        if (Get("RELAY_PUBLIC_URL", "Relay:PublicUrl") is { } urlText)
        {
            if (!Uri.TryCreate(urlText, UriKind.Absolute, out publicUrl) || publicUrl.Scheme is not ("http" or "https"))
                throw new RelayConfigurationException($"RELAY_PUBLIC_URL must be an absolute http(s) URL, not '{urlText}'.");
        }

        var trustedProxies = ParseTrustedProxies(Get("RELAY_TRUSTED_PROXIES", "Relay:TrustedProxies"));

        return new RelaySettings
        {
            Pusher = new PusherSettings { Enabled = enabled, Options = options },
            Jwt = new JwtSettings
            {
                Secret = jwtSecret,
                Issuer = Get("AUTH_JWT_ISSUER", "Auth:JwtIssuer"),
                Audience = Get("AUTH_JWT_AUDIENCE", "Auth:JwtAudience"),
            },
            DatabasePath = Get("RELAY_DB_PATH", "Relay:DbPath") ?? Path.Combine("data", "relay.db"),
            PublicUrl = publicUrl,
            TrustedProxies = trustedProxies,
            CorsOrigins = CorsOrigins.Parse(Get("RELAY_CORS_ORIGINS", "Relay:CorsOrigins")),
        };
    }

    /// <summary>Comma-separated addresses (<c>10.0.0.5</c>, <c>::1</c>) and CIDR ranges (<c>10.0.0.0/8</c>).</summary>
    private static List<System.Net.IPNetwork> ParseTrustedProxies(string? text)
    {
        var networks = new List<System.Net.IPNetwork>();
        if (text is null) return networks;
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw.Contains('/') ? System.Net.IPNetwork.TryParse(raw, out var network) : TryParseAddress(raw, out network))
                networks.Add(network);
            else
                throw new RelayConfigurationException(
                    $"RELAY_TRUSTED_PROXIES: '{raw}' is not an IP address or a CIDR range such as 10.0.0.0/8 (no bits set after the prefix).");
        }
        return networks;

        static bool TryParseAddress(string value, out System.Net.IPNetwork network)
        {
            network = default;
            if (!System.Net.IPAddress.TryParse(value, out var address)) return false;
            network = new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool ParseBool(string text, string name) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new RelayConfigurationException($"{name} must be true or false, not '{text}'."),
    };
}
