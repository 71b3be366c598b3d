using System.Globalization;
using System.Net;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Json;

namespace Realtime.Pusher.Rest;

/// <summary>
/// Reading Pusher's HTTP answers for <see cref="PusherRestClient"/>: the JSON body of a success, an error that
/// soketi hides in a 200, a 4xx turned into the exception that names its likely cause, channel attributes.
/// </summary>
internal static class PusherRestAnswers
{
    public static int? ErrorCodeInBody(JObject? json) =>
        json is not null && json["error"]?.Type == JTokenType.String && json["code"]?.Type == JTokenType.Integer &&
        (int)json["code"]! is >= 400 and <= 599 and var c
            ? c
            : null;

    public static JObject? ParseSuccess(HttpMethod method, string path, HttpStatusCode status, string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsJson.Parse(text) as JObject;
        }
        catch (JsonException e)
        {
            throw new PusherApiException(
                $"Pusher answered {method.Method} {path} with {(int)status} but the body is not JSON ({e.Message}): {Shorten(text)}",
                status, text, method.Method, path, 1, e);
        }
    }

    public static PusherApiException ClientError(string method, string path, HttpStatusCode status, string body)
    {
        var code = (int)status;
        if (code == 401 || (code == 403 && LooksLikeAuthProblem(body)))
        {
            return new PusherAuthenticationException(
                $"Pusher rejected the request's authentication ({code}): check PUSHER_KEY/PUSHER_SECRET/PUSHER_APP_ID: {Shorten(body)}",
                status, body, method, path);
        }
        var hint = code switch
        {
            404 => " (check PUSHER_APP_ID and the Pusher host/cluster)",
            413 => " (the request is larger than Pusher accepts)",
            429 => " (rate limited by Pusher)",
            _ => "",
        };
        return new PusherApiException($"Pusher refused {method} {path} ({code} {status}){hint}: {Shorten(body)}",
            status, body, method, path, 1);
    }

    private static bool LooksLikeAuthProblem(string body) =>
        body.Contains("signature", StringComparison.OrdinalIgnoreCase) ||
        body.Contains("auth", StringComparison.OrdinalIgnoreCase) ||
        body.Contains("key", StringComparison.OrdinalIgnoreCase) ||
        body.Contains("timestamp", StringComparison.OrdinalIgnoreCase);

    public static ChannelAttributes ParseAttributes(JObject? o) => new()
    {
        SubscriptionCount = IntOrNull(o?["subscription_count"]),
        UserCount = IntOrNull(o?["user_count"]),
    };

    private static int? IntOrNull(JToken? t) => t?.Type switch
    {
        JTokenType.Integer => (int)t,
        JTokenType.Float => (int)(double)t,
        JTokenType.String when int.TryParse((string)t!, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) => v,
        _ => null,
    };

    public static string Shorten(string? body)
    {
        if (string.IsNullOrEmpty(body)) return "(empty body)";
        body = body.Trim();
        return body.Length <= 1000 ? body : body[..1000] + "…";
    }
}
