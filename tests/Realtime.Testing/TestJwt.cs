using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;

namespace Realtime.Testing;

/// <summary>Mints HS256 JWTs the way the platform does, for tests (and nothing else).</summary>
public static class TestJwt
{
    public const string Secret = "test-jwt-secret-that-is-at-least-32-bytes-long";

    public static string For(string sub, string role, string? name = null, IEnumerable<string>? classes = null,
        string secret = Secret, DateTimeOffset? expires = null, string? issuer = null, string? audience = null)
    {
        var now = DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object?>
        {
            ["sub"] = sub,
            ["name"] = name ?? sub,
            ["role"] = role,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (expires ?? now.AddHours(1)).ToUnixTimeSeconds(),
        };
        if (classes is not null) payload["classes"] = classes.ToArray();
        if (issuer is not null) payload["iss"] = issuer;
        if (audience is not null) payload["aud"] = audience;
        return Sign(payload, secret);
    }

    public static string Sign(object payload, string secret)
    {
        var head = Base64Url(JsonConvert.SerializeObject(new { alg = "HS256", typ = "JWT" }));
        var body = Base64Url(JsonConvert.SerializeObject(payload));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(head + "." + body));
        return head + "." + body + "." + Base64Url(mac);
    }

    private static string Base64Url(string text) => Base64Url(Encoding.UTF8.GetBytes(text));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
