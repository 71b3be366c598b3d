using System.Security.Cryptography;
using System.Text;

namespace Realtime.Pusher.Auth;

/// <summary>HMAC-SHA256 as Pusher uses it everywhere: lowercase hex of HMAC(secret, text).</summary>
public static class PusherSignature
{
    public static string Sign(string secret, string stringToSign)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(stringToSign));
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Constant-time comparison of a received hex signature with the expected one.</summary>
    public static bool Matches(string secret, string stringToSign, string? receivedSignature)
    {
        if (string.IsNullOrEmpty(receivedSignature)) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, stringToSign));
        var received = Encoding.ASCII.GetBytes(receivedSignature.Trim().ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, received);
    }
}
