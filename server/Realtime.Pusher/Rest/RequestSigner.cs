using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Realtime.Pusher.Auth;

namespace Realtime.Pusher.Rest;

/// <summary>A signed request's query: the parameters (auth_signature last) and the strings involved.</summary>
public sealed record SignedQuery
{
    /// <summary>All query parameters in signing order, then <c>auth_signature</c>. Values unencoded.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; }

    /// <summary><c>METHOD\nPATH\nk=v&amp;…</c> exactly as signed.</summary>
    public required string StringToSign { get; init; }

    public required string Signature { get; init; }

    /// <summary>
    /// The query as the Node SDK writes it: <c>k=v&amp;…&amp;auth_signature=…</c> with values NOT
    /// URL-encoded. Useful for comparison; use <see cref="EncodedQueryString"/> in URLs.
    /// </summary>
    public string RawQueryString => string.Join("&", Parameters.Select(p => p.Key + "=" + p.Value));

    /// <summary>The same parameters, URL-encoded for use in a request URI.</summary>
    public string EncodedQueryString =>
        string.Join("&", Parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
}

/// <summary>
/// Pusher REST API request signing (auth_version 1.0), per Pusher's docs and as the official SDKs do it:
/// <list type="number">
/// <item>parameters: <c>auth_key</c>, <c>auth_timestamp</c> (Unix seconds), <c>auth_version=1.0</c>,
/// <c>body_md5</c> (lowercase hex MD5 of the body, only when there is a body) and the request's own
/// query parameters; keys lowercased;</item>
/// <item>sorted by key, ordinal (byte) order, joined as <c>k=v&amp;…</c> with values not URL-encoded;</item>
/// <item>string to sign <c>METHOD\nPATH\nQUERY</c>; <c>auth_signature</c> = hex HMAC-SHA256(secret, it).</item>
/// </list>
/// The server rebuilds the same string from the decoded query, so the URL itself carries encoded values.
/// </summary>
public sealed class RequestSigner
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "auth_key", "auth_timestamp", "auth_version", "auth_signature", "body_md5",
    };

    private readonly string _key;
    private readonly string _secret;
    private readonly TimeProvider _time;

    public RequestSigner(string key, string secret, TimeProvider? time = null)
    {
        if (string.IsNullOrEmpty(key)) throw new ArgumentException("The Pusher app key must not be empty", nameof(key));
        if (string.IsNullOrEmpty(secret)) throw new ArgumentException("The Pusher app secret must not be empty", nameof(secret));
        _key = key;
        _secret = secret;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Signs a request. <paramref name="timestamp"/> (Unix seconds) defaults to now.</summary>
    public SignedQuery Sign(string method, string path, IEnumerable<KeyValuePair<string, string>>? queryParameters,
        ReadOnlySpan<byte> body, long? timestamp = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var ts = timestamp ?? _time.GetUtcNow().ToUnixTimeSeconds();

        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["auth_key"] = _key,
            ["auth_timestamp"] = ts.ToString(CultureInfo.InvariantCulture),
            ["auth_version"] = "1.0",
        };
        if (!body.IsEmpty)
            parameters["body_md5"] = Convert.ToHexStringLower(MD5.HashData(body));

        if (queryParameters is not null)
        {
            foreach (var (rawKey, value) in queryParameters)
            {
                ArgumentException.ThrowIfNullOrEmpty(rawKey, nameof(queryParameters));
                var key = rawKey.ToLowerInvariant();
                if (Reserved.Contains(key))
                    throw new ArgumentException($"'{key}' is set by the request signer and cannot be passed as a query parameter", nameof(queryParameters));
                if (!parameters.TryAdd(key, value ?? ""))
                    throw new ArgumentException($"Query parameter '{key}' is given twice", nameof(queryParameters));
            }
        }

        var stringToSign = BuildStringToSign(method, path, parameters);
        var signature = PusherSignature.Sign(_secret, stringToSign);
        var all = parameters.ToList();
        all.Add(new("auth_signature", signature));
        return new SignedQuery { Parameters = all, StringToSign = stringToSign, Signature = signature };
    }

    /// <inheritdoc cref="Sign(string, string, IEnumerable{KeyValuePair{string, string}}?, ReadOnlySpan{byte}, long?)"/>
    public SignedQuery Sign(string method, string path, IEnumerable<KeyValuePair<string, string>>? queryParameters = null,
        string? body = null, long? timestamp = null) =>
        Sign(method, path, queryParameters, body is null ? ReadOnlySpan<byte>.Empty : Encoding.UTF8.GetBytes(body), timestamp);

    /// <summary>
    /// <c>METHOD\nPATH\nk=v&amp;…</c>: keys lowercased, sorted ordinally, values as given (not URL-encoded).
    /// </summary>
    public static string BuildStringToSign(string method, string path, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var sorted = parameters
            .Select(p => new KeyValuePair<string, string>(p.Key.ToLowerInvariant(), p.Value))
            .OrderBy(p => p.Key, StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.Append(method.ToUpperInvariant()).Append('\n').Append(path).Append('\n');
        var first = true;
        foreach (var (k, v) in sorted)
        {
            if (!first) sb.Append('&');
            first = false;
            sb.Append(k).Append('=').Append(v);
        }
        return sb.ToString();
    }
}
