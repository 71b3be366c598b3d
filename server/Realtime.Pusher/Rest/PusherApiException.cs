using System.Net;

namespace Realtime.Pusher.Rest;

/// <summary>
/// A Pusher REST call failed: Pusher answered with an error status (see <see cref="StatusCode"/>
/// and <see cref="ResponseBody"/>, Pusher's own explanation), or no answer came after every retry
/// (<see cref="StatusCode"/> null, the network error or timeout is the inner exception).
/// </summary>
public class PusherApiException : Exception
{
    public PusherApiException(string message, HttpStatusCode? statusCode, string? responseBody, string method, string path,
        int attempts, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        ResponseBody = responseBody;
        Method = method;
        Path = path;
        Attempts = attempts;
    }

    public HttpStatusCode? StatusCode { get; }
    public string? ResponseBody { get; }
    public string Method { get; }
    /// <summary>The request path (no query: the query carries the signature).</summary>
    public string Path { get; }
    /// <summary>How many times the request was sent.</summary>
    public int Attempts { get; }
    /// <summary>True for 5xx, timeouts and network errors — the kinds that were retried.</summary>
    public bool IsTransient => StatusCode is null || (int)StatusCode >= 500;
}

/// <summary>
/// Pusher refused the request's authentication (401, or 403 about the key/signature): the app id,
/// key or secret is wrong, or the clock is far off. Never retried.
/// </summary>
public sealed class PusherAuthenticationException : PusherApiException
{
    public PusherAuthenticationException(string message, HttpStatusCode statusCode, string? responseBody, string method, string path)
        : base(message, statusCode, responseBody, method, path, 1)
    {
    }
}
