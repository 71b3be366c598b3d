using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace Realtime.Relay.Configuration;

/// <summary>The relay's own settings (section "Relay"; RELAY_* variables, see <see cref="EnvironmentNames"/>).</summary>
public sealed class RelaySettings : ICheckedSettings
{
    public const string Section = "Relay";

    [ConfigurationKeyName("DbPath")]
    public string DatabasePath { get; set; } = Path.Combine("data", "relay.db");

    /// <summary>The relay's public URL for the links it hands out; without it, the request's own address.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Comma-separated addresses and CIDR ranges of proxies whose X-Forwarded-* are believed.</summary>
    public string? TrustedProxies { get; set; }

    /// <summary>Comma-separated browser origins allowed to call the API (parsed by <see cref="Configuration.CorsOrigins"/>).</summary>
    public string? CorsOrigins { get; set; }

    /// <summary><c>text</c> or <c>json</c> (compact JSON, one object per event).</summary>
    public string? LogFormat { get; set; }

    /// <summary>Where the plugin sources are read for the served <c>.rbxmx</c>; null: beside the relay's dll.</summary>
    public string? PluginSourceRoot { get; set; }

    // Parsed forms of the raw strings above (a raw value the binder could not convert would throw
    // there, one at a time; as strings every bad value is reported by Problems).
    public Uri? PublicUri => string.IsNullOrWhiteSpace(PublicUrl) ? null : new Uri(PublicUrl.Trim(), UriKind.Absolute);
    public IReadOnlyList<IPNetwork> TrustedProxyNetworks => ParseTrustedProxies(TrustedProxies);
    public IReadOnlyList<string> AllowedOrigins => Configuration.CorsOrigins.Parse(CorsOrigins);
    public bool LogsAsJson => LogFormat?.Trim().ToLowerInvariant() == "json";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(DatabasePath))
            yield return "RELAY_DB_PATH is empty: name the LiteDB file (default data/relay.db).";
        if (!string.IsNullOrWhiteSpace(PublicUrl) &&
            (!Uri.TryCreate(PublicUrl.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
            yield return $"RELAY_PUBLIC_URL must be an absolute http(s) URL, not '{PublicUrl}'.";
        foreach (var problem in TrustedProxyProblems(TrustedProxies)) yield return problem;
        string? cors = null;
        try { _ = Configuration.CorsOrigins.Parse(CorsOrigins); }
        catch (FormatException e) { cors = e.Message; }
        if (cors is not null) yield return cors;
        if (LogFormat?.Trim().ToLowerInvariant() is not (null or "" or "text" or "json"))
            yield return $"RELAY_LOG_FORMAT must be text or json, not '{LogFormat}'.";
    }

    private static IEnumerable<string> TrustedProxyProblems(string? text) =>
        Entries(text).Where(raw => !TryParseNetwork(raw, out _)).Select(raw =>
            $"RELAY_TRUSTED_PROXIES: '{raw}' is not an IP address or a CIDR range such as 10.0.0.0/8 (no bits set after the prefix).");

    private static List<IPNetwork> ParseTrustedProxies(string? text) =>
        Entries(text).Select(raw => TryParseNetwork(raw, out var network) ? network : throw new FormatException(raw)).ToList();

    private static string[] Entries(string? text) =>
        text?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];

    /// <summary>An address (<c>10.0.0.5</c>, <c>::1</c>) or a CIDR range (<c>10.0.0.0/8</c>).</summary>
    private static bool TryParseNetwork(string value, out IPNetwork network)
    {
        if (value.Contains('/')) return IPNetwork.TryParse(value, out network);
        network = default;
        if (!IPAddress.TryParse(value, out var address)) return false;
        network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }
}
