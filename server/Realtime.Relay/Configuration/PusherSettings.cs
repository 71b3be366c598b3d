using System.Text.RegularExpressions;
using Realtime.Pusher;

namespace Realtime.Relay.Configuration;

/// <summary>The Pusher app the relay connects to (section "Pusher"; PUSHER_* variables).</summary>
public sealed partial class PusherSettings : ICheckedSettings
{
    public const string Section = "Pusher";

    /// <summary><c>false</c> runs the relay without Pusher (its auth endpoints answer 503).</summary>
    public string? Enabled { get; set; }

    public string? AppId { get; set; }
    public string? Key { get; set; }
    public string? Secret { get; set; }
    public string? Cluster { get; set; }

    /// <summary>A self-hosted Pusher-protocol server (soketi) instead of a cluster.</summary>
    public string? Host { get; set; }

    public string? Port { get; set; }

    public string? Scheme { get; set; }

    /// <summary>Channels the relay subscribes over one WebSocket connection before opening another.</summary>
    public int ChannelsPerConnection { get; set; } = 100;

        /// <summary>Raw values that need parsing are strings, so a bad one is reported (<see cref="Problems"/>), not thrown by the binder.</summary>
    public bool IsEnabled => ParseBool(Enabled) ?? true;

    public PusherOptions Options => new()
    {
        AppId = Trimmed(AppId) ?? "",
        Key = Trimmed(Key) ?? "",
        Secret = Trimmed(Secret) ?? "",
        Cluster = Trimmed(Cluster),
        Host = Trimmed(Host),
        Port = int.TryParse(Port, out var port) ? port : null,
        Scheme = Trimmed(Scheme)?.ToLowerInvariant() ?? "https",
    };

    public IEnumerable<string> Problems()
    {
        if (ParseBool(Enabled) is null && Trimmed(Enabled) is { } enabled)
            yield return $"PUSHER_ENABLED must be true or false, not '{enabled}'.";
        if (Trimmed(Scheme)?.ToLowerInvariant() is { } scheme and not ("http" or "https"))
            yield return $"PUSHER_SCHEME must be http or https, not '{scheme}'.";
        if (Trimmed(Port) is { } portText && (!int.TryParse(portText, out var port) || port is < 1 or > 65535))
            yield return $"PUSHER_PORT must be a port number (1-65535), not '{portText}'.";
        // Pusher names clusters like mt1, us2, eu, ap3: a URL or a host name here is a mistake that
        // would otherwise surface only as a connection failure to "ws-https://….pusher.com".
        if (Trimmed(Cluster) is { } cluster && !ClusterName().IsMatch(cluster))
            yield return $"PUSHER_CLUSTER must be a Pusher cluster name such as us2 or eu (letters, digits, dashes), not '{cluster}'; for a self-hosted server set PUSHER_HOST instead.";
        if (ChannelsPerConnection < 1)
            yield return $"Pusher__ChannelsPerConnection must be at least 1, not {ChannelsPerConnection}.";
        if (!IsEnabled) yield break;
        if (Trimmed(Host) is null && Trimmed(Cluster) is null)
            yield return "PUSHER_CLUSTER is not set: name the Pusher cluster (e.g. us2), or set PUSHER_HOST for a self-hosted server such as soketi.";
        if (Trimmed(AppId) is null) yield return NotSet("PUSHER_APP_ID", "Pusher__AppId", "the Pusher app id is needed to publish");
        if (Trimmed(Key) is null) yield return NotSet("PUSHER_KEY", "Pusher__Key", "the Pusher app key is needed to connect");
        if (Trimmed(Secret) is null) yield return NotSet("PUSHER_SECRET", "Pusher__Secret", "the Pusher app secret is needed to sign");
    }

    private static string NotSet(string variable, string key, string why) =>
        $"{variable} is not set: {why} (set it in the environment, or {key}).";

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool? ParseBool(string? text) => Trimmed(text)?.ToLowerInvariant() switch
    {
        null => true,
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => null,
    };

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex ClusterName();
}
