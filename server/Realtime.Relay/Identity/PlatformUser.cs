using System.Security.Claims;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Identity;

/// <summary>
/// A dashboard or backend user, from the platform's JWT: claims <c>sub</c>, <c>name</c>,
/// <c>role</c> (admin | educator | student) and optional <c>classes</c>.
/// </summary>
public sealed record PlatformUser(string Id, string Name, string Role, IReadOnlySet<string> Classes)
{
    public static readonly string[] Roles = ["admin", "educator", "student"];

    /// <summary>Pusher's limit for a user id, which <c>sub</c> becomes in presence and user sign-in.</summary>
    public const int MaxSubjectLength = 128;
    public const int MaxNameLength = 200;

    public bool IsAdmin => Role == "admin";

    /// <summary>Null when the token's claims do not describe one user (<see cref="Read"/> says why).</summary>
    public static PlatformUser? From(ClaimsPrincipal principal) => Read(principal).User;

    /// <summary>
    /// The one reading of a validly signed token's claims, used by the authorization policies
    /// and by every endpoint alike, so both always agree:
    /// <list type="bullet">
    /// <item><c>role</c>: exactly one string, exactly <c>admin</c>, <c>educator</c> or <c>student</c>.
    /// Anything else — a number, an object, an array (even <c>["student","admin"]</c>), another
    /// case, padding — is refused (403 <c>invalid_role</c>): a token naming two roles is not
    /// given either.</item>
    /// <item><c>sub</c>: exactly one string of 1-128 characters without control characters; else 403 <c>invalid_subject</c>.</item>
    /// <item><c>name</c>: one such string of at most 200 characters; otherwise the user is shown by <c>sub</c>.</item>
    /// <item><c>classes</c>: strings (one id, a comma-separated list, or a JSON array of ids) and
    /// whole numbers; other shapes are ignored.</item>
    /// </list>
    /// </summary>
    public static PlatformUserReading Read(ClaimsPrincipal principal)
    {
        var subs = principal.FindAll("sub").ToList();
        if (subs.Count != 1 || !IsPlainText(subs[0], MaxSubjectLength))
            return PlatformUserReading.Refused(ErrorCodes.InvalidSubject,
                $"The token's sub claim must be one string of 1-{MaxSubjectLength} characters without control characters.");
        var roles = principal.FindAll("role").ToList();
        if (roles.Count != 1 || roles[0].ValueType != ClaimValueTypes.String || !Roles.Contains(roles[0].Value, StringComparer.Ordinal))
            return PlatformUserReading.Refused(ErrorCodes.InvalidRole,
                "The token's role claim must be exactly one of \"admin\", \"educator\" or \"student\" (one string, not a list).");
        var sub = subs[0].Value;
        var names = principal.FindAll("name").ToList();
        var name = names.Count == 1 && IsPlainText(names[0], MaxNameLength) ? names[0].Value : sub;
        return new PlatformUserReading(new PlatformUser(sub, name, roles[0].Value, ReadClasses(principal)), null, null);
    }

    private static bool IsPlainText(Claim claim, int maxLength) =>
        claim.ValueType == ClaimValueTypes.String && claim.Value.Length > 0 && claim.Value.Length <= maxLength
        && !WireNames.HasUnsafeCharacters(claim.Value) && claim.Value.Trim().Length > 0;

    // "classes" arrives as repeated claims (a JSON array in the token), as one claim holding
    // a JSON array, or as a comma-separated string; all three are accepted.
    private static HashSet<string> ReadClasses(ClaimsPrincipal principal)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in principal.FindAll("classes"))
        {
            if (IsWholeNumber(claim.ValueType))
            {
                AddIfPresent(set, claim.Value);
                continue;
            }
            if (claim.ValueType != ClaimValueTypes.String) continue; // objects, nested arrays, booleans: no class
            var value = claim.Value.Trim();
            if (value.StartsWith('['))
            {
                try
                {
                    foreach (var item in JArray.Parse(value))
                        if (item.Type is JTokenType.String or JTokenType.Integer) AddIfPresent(set, item.ToString());
                    continue;
                }
                catch (Newtonsoft.Json.JsonException) { }
            }
            foreach (var part in value.Split(',')) AddIfPresent(set, part);
        }
        return set;
    }

    private static bool IsWholeNumber(string valueType) =>
        valueType is ClaimValueTypes.Integer or ClaimValueTypes.Integer32 or ClaimValueTypes.Integer64 or ClaimValueTypes.UInteger32 or ClaimValueTypes.UInteger64;

    private static void AddIfPresent(HashSet<string> set, string value)
    {
        value = value.Trim();
        if (value.Length > 0 && !WireNames.HasUnsafeCharacters(value)) set.Add(value);
    }
}

/// <summary>A token's claims read as a user, or why they cannot be (a stable code and words for the caller).</summary>
public sealed record PlatformUserReading(PlatformUser? User, string? Code, string? Reason)
{
    public static PlatformUserReading Refused(string code, string reason) => new(null, code, reason);
}
