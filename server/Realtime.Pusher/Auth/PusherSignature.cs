using System.Security.Cryptography;
using System.Text;

namespace Realtime.Pusher.Auth;

/// <summary>HMAC-SHA256 as Pusher uses it everywhere: lowercase hex of HMAC(secret, text).</summary>
public static class PusherSignature
{
    public static string Sign(string secret, string stringToSign) =>
        Sign(secret, Encoding.UTF8.GetBytes(stringToSign));

    public static string Sign(string secret, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Constant-time comparison of a received hex signature with the expected one.</summary>
    public static bool Matches(string secret, string stringToSign, string? receivedSignature) =>
        Matches(secret, Encoding.UTF8.GetBytes(stringToSign), receivedSignature);

    /// <summary>Constant-time comparison of a received hex signature with HMAC(secret, data).</summary>
    public static bool Matches(string secret, ReadOnlySpan<byte> data, string? receivedSignature)
    {
        if (string.IsNullOrEmpty(receivedSignature)) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, data));
        var received = Encoding.ASCII.GetBytes(receivedSignature.Trim().ToLowerInvariant());
        // FixedTimeEquals returns false at once for different lengths; that reveals only the
        // length, which is public (64 hex chars) anyway.
        return CryptographicOperations.FixedTimeEquals(expected, received);
    }
}
