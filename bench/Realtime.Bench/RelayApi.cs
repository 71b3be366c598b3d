using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Realtime.Testing;

namespace Realtime.Bench;

/// <summary>A game-server session: what a live Roblox server holds after registering.</summary>
public sealed record Session(string GameId, string JobId, string Token)
{
    public string Base => $"/api/v1/games/{GameId}/servers/{JobId}";
}

/// <summary>One event of a long-poll answer, as the bench needs it.</summary>
public readonly record struct PolledEvent(long Seq, string Channel, string Event, long Id, string? Reason = null);

public sealed record PollAnswer(List<PolledEvent> Events, long Next, bool Gap);

/// <summary>The relay's HTTP API as Roblox clients and the platform call it (docs/api.md), over one pooled HttpClient.</summary>
public sealed class RelayApi : IDisposable
{
    private readonly HttpClient _http;
    private readonly Version _version;
    private readonly string _educatorJwt = TestJwt.For("bench-educator", "educator");

    /// <param name="http2">
    /// Cleartext HTTP/2 with prior knowledge (the relay's HTTP/2-only endpoint): many requests on
    /// one connection, as a load balancer in front of the relay may send them. Default: HTTP/1.1,
    /// one connection per request in flight, as Roblox's HttpService does.
    /// </param>
    public RelayApi(string baseUrl, TimeSpan? timeout = null, bool http2 = false)
    {
        _version = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        _http = new HttpClient(new SocketsHttpHandler
        {
            // One connection per held long-poll: no cap (over HTTP/2, a new connection when one has
            // as many streams as the server allows).
            MaxConnectionsPerServer = int.MaxValue,
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(15),
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };
    }

    public async Task<string> CreateGameAsync(string gameId)
    {
        using var res = await SendAsync(HttpMethod.Post, "/api/v1/games", _educatorJwt, new { gameId, name = "Benchmark " + gameId });
        using var doc = await ReadJsonAsync(res, HttpStatusCode.Created);
        return doc.RootElement.GetProperty("serverKey").GetString()!;
    }

    public async Task<Session> RegisterAsync(string gameId, string serverKey, string jobId)
    {
        using var res = await SendAsync(HttpMethod.Post, $"/api/v1/games/{gameId}/servers", serverKey, new { jobId, placeId = 1 });
        using var doc = await ReadJsonAsync(res, HttpStatusCode.Created);
        return new Session(gameId, jobId, doc.RootElement.GetProperty("accessToken").GetString()!);
    }

    public async Task SubscribeAsync(Session session, params string[] channels)
    {
        using var res = await SendAsync(HttpMethod.Put, session.Base + "/subscriptions", session.Token, new { channels });
        (await ReadJsonAsync(res, HttpStatusCode.OK)).Dispose();
    }

    /// <summary>
    /// <c>GET P/events</c>. Event ids come from the bench's payloads (<c>{"id":n}</c>); other
    /// events (e.g. <c>relay:gap</c>) get id -1.
    /// </summary>
    public async Task<PollAnswer> PollAsync(Session session, long after, int wait, int limit, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, $"{session.Base}/events?after={after}&wait={wait}&limit={limit}")
        {
            Version = _version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
        using var res = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
        if (res.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"poll answered {(int)res.StatusCode}: {await res.Content.ReadAsStringAsync(ct)}");
        await using var body = await res.Content.ReadAsStreamAsync(ct);
        using var doc = await JsonDocument.ParseAsync(body, cancellationToken: ct);
        var root = doc.RootElement;
        var events = new List<PolledEvent>();
        foreach (var e in root.GetProperty("events").EnumerateArray())
        {
            long id = -1;
            string? reason = null;
            if (e.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
            {
                if (data.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.Number) id = idElement.GetInt64();
                if (data.TryGetProperty("reason", out var reasonElement) && reasonElement.ValueKind == JsonValueKind.String) reason = reasonElement.GetString();
            }
            events.Add(new PolledEvent(e.GetProperty("seq").GetInt64(), e.GetProperty("channel").GetString()!,
                e.GetProperty("event").GetString()!, id, reason));
        }
        return new PollAnswer(events, root.GetProperty("next").GetInt64(), root.GetProperty("gap").GetBoolean());
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string bearer, object body)
    {
        using var req = new HttpRequestMessage(method, path)
        {
            Version = _version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await _http.SendAsync(req);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage res, HttpStatusCode expected)
    {
        var text = await res.Content.ReadAsStringAsync();
        if (res.StatusCode != expected)
            throw new HttpRequestException($"{res.RequestMessage?.Method} {res.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)res.StatusCode}: {text}");
        return JsonDocument.Parse(text);
    }

    public void Dispose() => _http.Dispose();
}
