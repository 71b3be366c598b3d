using System.Security.Claims;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Identity;

/// <summary>
/// A dashboard or backend user, from the platform's JWT: claims <c>sub</c>, <c>name</c>,
/// <c>role</c> (admin | educator | student) and optional <c>classes</c>.
/// </summary>
public sealed record PlatformUser(string Id, string Name, string Role, IReadOnlySet<string> Classes)
{
    public static readonly string[] Roles = ["admin", "educator", "student"];

    public bool IsAdmin => Role == "admin";
    public bool IsEducatorOrAdmin => Role is "admin" or "educator";

    /// <summary>Null when the principal lacks a subject or has an unknown role.</summary>
    public static PlatformUser? From(ClaimsPrincipal principal)
    {
        var sub = principal.FindFirst("sub")?.Value;
        var role = principal.FindFirst("role")?.Value;
        if (string.IsNullOrEmpty(sub) || role is null || !Roles.Contains(role)) return null;
        var name = principal.FindFirst("name")?.Value ?? sub;
        return new PlatformUser(sub, name, role, ReadClasses(principal));
    }

    // "classes" arrives as repeated claims (a JSON array in the token), as one claim holding
    // a JSON array, or as a comma-separated string; all three are accepted.
    private static HashSet<string> ReadClasses(ClaimsPrincipal principal)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in principal.FindAll("classes"))
        {
            var value = claim.Value.Trim();
            if (value.StartsWith('['))
            {
                try
                {
                    foreach (var item in JArray.Parse(value)) AddIfPresent(set, item.ToString());
                    continue;
                }
                catch (Newtonsoft.Json.JsonException) { }
            }
            foreach (var part in value.Split(',')) AddIfPresent(set, part);
        }
        return set;
    }

    private static void AddIfPresent(HashSet<string> set, string value)
    {
        value = value.Trim();
        if (value.Length > 0) set.Add(value);
    }
}
