namespace Realtime.Relay.Configuration;

/// <summary>
/// <c>RELAY_CORS_ORIGINS</c>: comma-separated exact origins (<c>https://dashboard.example.org</c>,
/// <c>http://localhost:5173</c>). Browsers compare origins exactly, so anything with a path,
/// query, wildcard or trailing slash would silently never match: refuse it at start-up instead
/// (<see cref="FormatException"/>, reported by <see cref="RelaySettings.Problems"/>).
/// </summary>
public static class CorsOrigins
{
    public static IReadOnlyList<string> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var origins = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ||
                part.Contains('*') || uri.UserInfo.Length > 0 || part.TrimEnd('/') != part ||
                uri.PathAndQuery != "/" || uri.Fragment.Length > 0)
                throw new FormatException(
                    $"RELAY_CORS_ORIGINS must list exact origins such as https://dashboard.example.org (scheme, host, optional port; no path, slash or wildcard), not '{part}'.");
            // The form browsers send in Origin: lower-case scheme and host, default port left out.
            var origin = uri.GetLeftPart(UriPartial.Authority);
            if (!origins.Contains(origin, StringComparer.Ordinal)) origins.Add(origin);
        }
        return origins;
    }
}
