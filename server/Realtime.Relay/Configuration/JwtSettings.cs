using System.Text;
using Microsoft.Extensions.Configuration;

namespace Realtime.Relay.Configuration;

/// <summary>How the platform's JWTs are checked (section "Auth"; AUTH_JWT_* variables).</summary>
public sealed class JwtSettings : ICheckedSettings
{
    public const string Section = "Auth";
    public const int MinSecretBytes = 32;

    [ConfigurationKeyName("JwtSecret")]
    public string Secret { get; set; } = "";

    /// <summary>Checked when set.</summary>
    [ConfigurationKeyName("JwtIssuer")]
    public string? Issuer { get; set; }

    /// <summary>Checked when set.</summary>
    [ConfigurationKeyName("JwtAudience")]
    public string? Audience { get; set; }

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Secret))
            yield return "AUTH_JWT_SECRET is not set: platform users' JWTs cannot be checked without it (set it in the environment, or Auth__JwtSecret).";
        else if (Encoding.UTF8.GetByteCount(Secret) < MinSecretBytes)
            yield return $"AUTH_JWT_SECRET is too short: HS256 needs at least {MinSecretBytes} bytes.";
    }
}
