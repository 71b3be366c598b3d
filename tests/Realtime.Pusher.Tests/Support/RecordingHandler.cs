using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Realtime.Pusher.Tests.Support;

/// <summary>A request as the handler saw it (body read before the message is disposed).</summary>
public sealed record RecordedRequest(HttpMethod Method, Uri Uri, string? Body, string? ContentType);

/// <summary>
/// Stands in for Pusher: records every request and answers with whatever the test says.
/// Lets tests prove that nothing was sent (Count == 0) or exactly how often a request was retried.
/// </summary>
public sealed class RecordingHandler : HttpMessageHandler
{
    private readonly Func<RecordedRequest, int, CancellationToken, Task<HttpResponseMessage>> _respond;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public RecordingHandler(Func<RecordedRequest, int, Task<HttpResponseMessage>> respond) => _respond = (r, n, _) => respond(r, n);

    /// <summary>For answers that take time: <paramref name="respond"/> gets the request's cancellation token.</summary>
    public RecordingHandler(Func<RecordedRequest, int, CancellationToken, Task<HttpResponseMessage>> respond) => _respond = respond;

    /// <summary>Always answers with <paramref name="status"/> and <paramref name="body"/>.</summary>
    public static RecordingHandler Answering(HttpStatusCode status, string body = "{}") =>
        new((_, _) => Task.FromResult(Json(status, body)));

    public static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();
    public int Count => _requests.Count;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new RecordedRequest(request.Method, request.RequestUri!, body, request.Content?.Headers.ContentType?.ToString());
        _requests.Enqueue(recorded);
        return await _respond(recorded, _requests.Count, cancellationToken);
    }
}

/// <summary>A clock that says what the test wants (for auth_timestamp).</summary>
public sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;

    public static FixedTimeProvider AtUnixSeconds(long seconds) => new(DateTimeOffset.FromUnixTimeSeconds(seconds));
}
