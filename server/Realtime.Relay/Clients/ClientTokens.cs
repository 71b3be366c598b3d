using System.Security.Cryptography;
using System.Text;

namespace Realtime.Relay.Clients;

/// <summary>
/// Bearer tokens the relay issues to Roblox clients: 256 random bits, shown once, stored
/// only as a SHA-256 hash. A readable prefix says what a token is for (and lets secret
/// scanners find leaked ones).
/// </summary>
public static class ClientTokens
{
    public const string PluginPrefix = "rbp_";
    public const string ServerSessionPrefix = "rbs_";
    public const string ServerKeyPrefix = "rbk_";
    public const string DeviceCodePrefix = "rbd_";

    public static string New(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The stored form: hex SHA-256. Lookups compare hashes, never tokens.</summary>
    public static string Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Hash(token.AsSpan());
    }

    /// <inheritdoc cref="Hash(string)"/>
    public static string Hash(ReadOnlySpan<char> token)
    {
        // Checked on every client request: the token's bytes and the hash are not kept, so no arrays for them
        // unless a (foreign) token is too long for the stack.
        var length = Encoding.UTF8.GetMaxByteCount(token.Length);
        Span<byte> bytes = length <= 512 ? stackalloc byte[length] : new byte[length];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(token, bytes)], hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>A short random id for plugins and sessions, safe in channel names.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
}
