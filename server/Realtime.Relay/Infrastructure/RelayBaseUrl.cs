using System.Net;
using Realtime.Relay.Configuration;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// The relay's own base URL, for links it hands out (the pairing <c>verificationUri</c>, the
/// served plugin's <c>baseUrl</c>): <c>RELAY_PUBLIC_URL</c> when set. Without it the request's
/// Host header is used only when it names the very address the connection arrived on (an IP
/// literal equal to the local address, or <c>localhost</c> on a loopback connection) with
/// that port — a Host header is the caller's word, and echoing any name would let anyone get
/// links to their own server (<c>evil.example</c>) handed out. Otherwise the link names the
/// local address itself, unless a trusted proxy (<c>RELAY_TRUSTED_PROXIES</c>) forwarded the
/// host. Behind a DNS name, set <c>RELAY_PUBLIC_URL</c>.
/// </summary>
public static class RelayBaseUrl
{
    public static string For(HttpContext http, RelaySettings settings)
    {
        if (settings.PublicUri is { } configured) return configured.AbsoluteUri.TrimEnd('/');
        var request = http.Request;
        var scheme = request.Scheme is "https" ? "https" : "http";
        var authority = IsTheAddressConnectedTo(http, request.Host) || IsWellFormedForwardedHost(http, request.Host)
            ? request.Host.Value!
            : LocalAuthority(http);
        return $"{scheme}://{authority}{request.PathBase.ToUriComponent()}".TrimEnd('/');
    }

    // A trusted proxy (RELAY_TRUSTED_PROXIES) speaks for the client's Host; still only a plain host[:port].
    private static bool IsWellFormedForwardedHost(HttpContext http, HostString host) =>
        ForwardedHeadersSetup.HostCameFromTrustedProxy(http) && !string.IsNullOrEmpty(host.Value) &&
        host.Value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']') &&
        Uri.CheckHostName(host.Host) != UriHostNameType.Unknown;

    private static bool IsTheAddressConnectedTo(HttpContext http, HostString host)
    {
        // The whole value, not just HostString.Host: "localhost:1@evil.example" has the host "localhost".
        var value = host.Value;
        if (string.IsNullOrEmpty(value) || value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']'))) return false;
        var hasPortText = value.StartsWith('[') ? value.Contains("]:", StringComparison.Ordinal) : value.Contains(':');
        if (hasPortText && host.Port is null) return false;
        var local = http.Connection.LocalIpAddress;
        var localPort = http.Connection.LocalPort;
        // In-process (no socket) requests have no local address: only "localhost" is believed there.
        var portMatches = host.Port is { } port ? port == localPort : localPort is 0 or 80 or 443;
        if (!portMatches) return false;
        if (string.Equals(host.Host, "localhost", StringComparison.OrdinalIgnoreCase)) return local is null || IPAddress.IsLoopback(local);
        return local is not null && IPAddress.TryParse(host.Host.Trim('[', ']'), out var named) && Normalize(named).Equals(Normalize(local));
    }

    private static string LocalAuthority(HttpContext http)
    {
        if (http.Connection.LocalIpAddress is not { } local) return "localhost";
        var address = Normalize(local);
        var text = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return http.Connection.LocalPort is 0 ? text : $"{text}:{http.Connection.LocalPort}";
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
