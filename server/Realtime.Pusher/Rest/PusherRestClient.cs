using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Json;
using Realtime.Pusher.Validation;

namespace Realtime.Pusher.Rest;

/// <summary>
/// Pusher Channels HTTP API client: trigger, batch trigger, channel list/info, presence users,
/// terminate user connections. Thread-safe; keep ONE per app for the life of the process.
/// <para>
/// HttpClient: PusherServer (pusher-http-dotnet) created a new <see cref="HttpClient"/> for every
/// PusherOptions instance (pusher/pusher-http-dotnet#83), so code that built a Pusher per request
/// leaked sockets (TIME_WAIT exhaustion) under load. This client never does that: pass your own
/// HttpClient (e.g. from IHttpClientFactory) or HttpMessageHandler, or by default it uses one
/// process-wide HttpClient whose pooled connections are recycled every few minutes so DNS changes
/// are seen.
/// </para>
/// <para>
/// Every Pusher limit is checked before a request is sent (<see cref="PusherValidationException"/>).
/// 4xx answers are never retried; timeouts (<see cref="PusherOptions.RequestTimeout"/> per attempt),
/// network errors and 5xx are retried up to <see cref="PusherOptions.MaxRetries"/> times with a short
/// exponential backoff. Failures are <see cref="PusherApiException"/> (status code and Pusher's body);
/// rejected credentials are <see cref="PusherAuthenticationException"/>.
/// </para>
/// </summary>
public sealed class PusherRestClient : IDisposable
{
    public const string LibraryName = "realtime-bridge-dotnet";

    private static readonly Lazy<HttpClient> SharedHttpClient = new(() => new HttpClient(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        // Per-attempt timeouts come from PusherOptions.RequestTimeout.
        Timeout = Timeout.InfiniteTimeSpan,
    });

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly RequestSigner _signer;
    private readonly TimeProvider _time;

    /// <summary>Uses the process-wide shared HttpClient (or <paramref name="httpClient"/>, which stays yours to dispose).</summary>
    public PusherRestClient(PusherOptions options, HttpClient? httpClient = null, TimeProvider? timeProvider = null)
    {
        Options = Validate(options);
        _time = timeProvider ?? TimeProvider.System;
        _signer = new RequestSigner(options.Key, options.Secret, _time);
        _http = httpClient ?? SharedHttpClient.Value;
        _ownsHttp = false;
    }

    /// <summary>Sends through <paramref name="handler"/> (not disposed by this client). For tests and custom pipelines.</summary>
    public PusherRestClient(PusherOptions options, HttpMessageHandler handler, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Options = Validate(options);
        _time = timeProvider ?? TimeProvider.System;
        _signer = new RequestSigner(options.Key, options.Secret, _time);
        _http = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        _ownsHttp = true;
    }

    public PusherOptions Options { get; }

    // ---------------------------------------------------------------- trigger

    /// <summary>Triggers an event on one channel. <paramref name="data"/>: a string (sent as is) or an object (JSON-serialized).</summary>
    public Task<TriggerResult> TriggerAsync(string channel, string eventName, object data, TriggerOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TriggerAsync([channel], eventName, data, options, cancellationToken);

    /// <summary>Triggers an event on up to 100 channels at once.</summary>
    public async Task<TriggerResult> TriggerAsync(IReadOnlyList<string> channels, string eventName, object data,
        TriggerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var body = BuildTriggerBody(channels, eventName, data, options);
        var json = await SendAsync(HttpMethod.Post, "/events", null, body, cancellationToken).ConfigureAwait(false);
        var channelsJson = json?["channels"] as JObject;
        var result = new Dictionary<string, ChannelAttributes>(StringComparer.Ordinal);
        if (channelsJson is not null)
        {
            foreach (var p in channelsJson.Properties())
                result[p.Name] = PusherRestAnswers.ParseAttributes(p.Value as JObject);
        }
        return new TriggerResult { Channels = result };
    }

    /// <summary>Triggers up to 10 events in one request; each may target a different channel.</summary>
    public async Task<BatchTriggerResult> TriggerBatchAsync(IReadOnlyList<BatchEvent> events, CancellationToken cancellationToken = default)
    {
        var body = BuildBatchBody(events);
        var json = await SendAsync(HttpMethod.Post, "/batch_events", null, body, cancellationToken).ConfigureAwait(false);
        var list = new List<ChannelAttributes>();
        if (json?["batch"] is JArray batch)
        {
            foreach (var item in batch) list.Add(PusherRestAnswers.ParseAttributes(item as JObject));
        }
        return new BatchTriggerResult { Batch = list };
    }

    // ---------------------------------------------------------------- channels

    /// <summary>
    /// Lists occupied channels: <c>GET /apps/{id}/channels</c>. <paramref name="info"/> may ask for
    /// <see cref="PusherInfo.UserCount"/> (with a <c>presence-</c> prefix).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, ChannelAttributes>> GetChannelsAsync(string? filterByPrefix = null,
        IReadOnlyList<string>? info = null, CancellationToken cancellationToken = default)
    {
        var query = new List<KeyValuePair<string, string>>();
        if (!string.IsNullOrEmpty(filterByPrefix)) query.Add(new("filter_by_prefix", filterByPrefix));
        var infoText = InfoValidation.Join(info, nameof(info));
        if (infoText is not null) query.Add(new("info", infoText));
        var json = await SendAsync(HttpMethod.Get, "/channels", query, null, cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, ChannelAttributes>(StringComparer.Ordinal);
        if (json?["channels"] is JObject channels)
        {
            foreach (var p in channels.Properties()) result[p.Name] = PusherRestAnswers.ParseAttributes(p.Value as JObject);
        }
        return result;
    }

    /// <summary>One channel's state: <c>GET /apps/{id}/channels/{name}</c>.</summary>
    public async Task<ChannelInfo> GetChannelAsync(string channel, IReadOnlyList<string>? info = null,
        CancellationToken cancellationToken = default)
    {
        PusherLimits.ValidateChannelName(channel);
        var query = new List<KeyValuePair<string, string>>();
        var infoText = InfoValidation.Join(info, nameof(info));
        if (infoText is not null) query.Add(new("info", infoText));
        var json = await SendAsync(HttpMethod.Get, "/channels/" + channel, query, null, cancellationToken).ConfigureAwait(false);
        var attributes = PusherRestAnswers.ParseAttributes(json);
        return new ChannelInfo
        {
            Occupied = json?["occupied"]?.Type == JTokenType.Boolean && (bool)json["occupied"]!,
            SubscriptionCount = attributes.SubscriptionCount,
            UserCount = attributes.UserCount,
        };
    }

    /// <summary>Users on a presence channel: <c>GET /apps/{id}/channels/{name}/users</c>.</summary>
    public async Task<IReadOnlyList<PresenceUser>> GetPresenceUsersAsync(string channel, CancellationToken cancellationToken = default)
    {
        PusherLimits.ValidateChannelName(channel);
        if (!channel.StartsWith("presence-", StringComparison.Ordinal))
            throw new PusherValidationException(PusherLimits.ChannelTypeLimit,
                $"Only presence channels have users; '{channel}' does not start with 'presence-'", nameof(channel));
        var json = await SendAsync(HttpMethod.Get, "/channels/" + channel + "/users", null, null, cancellationToken).ConfigureAwait(false);
        var users = new List<PresenceUser>();
        if (json?["users"] is JArray array)
        {
            foreach (var u in array)
            {
                var id = u["id"];
                if (id is not null && id.Type != JTokenType.Null) users.Add(new PresenceUser(id.ToString()));
            }
        }
        return users;
    }

    /// <summary>Disconnects every connection signed in as <paramref name="userId"/>: <c>POST /apps/{id}/users/{id}/terminate_connections</c>.</summary>
    public async Task TerminateUserConnectionsAsync(string userId, CancellationToken cancellationToken = default)
    {
        PusherLimits.ValidateUserId(userId);
        await SendAsync(HttpMethod.Post, "/users/" + Uri.EscapeDataString(userId) + "/terminate_connections", null,
            Encoding.UTF8.GetBytes("{}"), cancellationToken).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- bodies (internal for tests)

    /// <summary>The event data as sent: strings as they are, anything else as JSON.</summary>
    public static string SerializeData(object data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data as string ?? JsJson.Stringify(data);
    }

    /// <summary>Validates and builds the <c>/events</c> body: <c>{"name","data","channels","socket_id"?,"info"?}</c>.</summary>
    internal static byte[] BuildTriggerBody(IReadOnlyList<string> channels, string eventName, object data, TriggerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(channels);
        PusherLimits.ValidateChannelCount(channels.Count);
        foreach (var c in channels) PusherLimits.ValidateChannelName(c, nameof(channels));
        PusherLimits.ValidateEventName(eventName);
        var dataText = SerializeData(data);
        PusherLimits.ValidateData(dataText);
        if (options?.SocketId is not null) PusherLimits.ValidateSocketId(options.SocketId, "options.SocketId");
        var info = InfoValidation.Join(options?.Info, "options.Info");

        // Same key order as the Node SDK, so identical input gives an identical body.
        var sb = new StringBuilder();
        sb.Append("{\"name\":").Append(JsJson.Quote(eventName));
        sb.Append(",\"data\":").Append(JsJson.Quote(dataText));
        sb.Append(",\"channels\":[");
        for (var i = 0; i < channels.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(JsJson.Quote(channels[i]));
        }
        sb.Append(']');
        if (options?.SocketId is not null) sb.Append(",\"socket_id\":").Append(JsJson.Quote(options.SocketId));
        if (info is not null) sb.Append(",\"info\":").Append(JsJson.Quote(info));
        sb.Append('}');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Validates and builds the <c>/batch_events</c> body: <c>{"batch":[{"channel","name","data","socket_id"?,"info"?},…]}</c>.</summary>
    internal static byte[] BuildBatchBody(IReadOnlyList<BatchEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        PusherLimits.ValidateBatchSize(events.Count);
        var sb = new StringBuilder("{\"batch\":[");
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i] ?? throw new ArgumentException($"Batch event {i} is null", nameof(events));
            var where = $"events[{i}]";
            PusherLimits.ValidateChannelName(e.Channel, where + ".Channel");
            PusherLimits.ValidateEventName(e.Name, where + ".Name");
            var dataText = SerializeData(e.Data);
            PusherLimits.ValidateData(dataText, where + ".Data");
            if (e.SocketId is not null) PusherLimits.ValidateSocketId(e.SocketId, where + ".SocketId");
            var info = InfoValidation.Join(e.Info, where + ".Info");

            if (i > 0) sb.Append(',');
            sb.Append("{\"channel\":").Append(JsJson.Quote(e.Channel));
            sb.Append(",\"name\":").Append(JsJson.Quote(e.Name));
            sb.Append(",\"data\":").Append(JsJson.Quote(dataText));
            if (e.SocketId is not null) sb.Append(",\"socket_id\":").Append(JsJson.Quote(e.SocketId));
            if (info is not null) sb.Append(",\"info\":").Append(JsJson.Quote(info));
            sb.Append('}');
        }
        sb.Append("]}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    // ---------------------------------------------------------------- sending

    /// <summary>The full path for an app-relative path, e.g. "/events" → "/apps/123/events".</summary>
    internal string AppPath(string subPath) => "/apps/" + Options.AppId + subPath;

    private async Task<JObject?> SendAsync(HttpMethod method, string subPath, IReadOnlyList<KeyValuePair<string, string>>? query,
        byte[]? body, CancellationToken cancellationToken)
    {
        var path = AppPath(subPath);
        var maxAttempts = 1 + Math.Max(0, Options.MaxRetries);
        Exception? lastError = null;
        HttpStatusCode? lastStatus = null;
        string? lastBody = null;

        for (var attempt = 1; attempt <= maxAttempts; attempt++)
        {
            if (attempt > 1) await Task.Delay(Backoff(attempt - 1), _time, cancellationToken).ConfigureAwait(false);

            var signed = _signer.Sign(method.Method, path, query, body ?? []);
            using var request = new HttpRequestMessage(method, new Uri(Options.RestBaseUri, path + "?" + signed.EncodedQueryString));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.TryAddWithoutValidation("X-Pusher-Library", LibraryName);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }

            using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptCts.CancelAfter(Options.RequestTimeout);
            HttpStatusCode status;
            string responseText;
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, attemptCts.Token).ConfigureAwait(false);
                status = response.StatusCode;
                responseText = await response.Content.ReadAsStringAsync(attemptCts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException e)
            {
                lastError = new TimeoutException($"No answer from Pusher within {Options.RequestTimeout.TotalSeconds:0.###} s", e);
                lastStatus = null;
                continue;
            }
            catch (HttpRequestException e)
            {
                lastError = e;
                lastStatus = null;
                continue;
            }

            var code = (int)status;
            if (code is >= 200 and < 300)
            {
                var json = PusherRestAnswers.ParseSuccess(method, path, status, responseText);
                // soketi answers errors with status 200 and {"error":"…","code":401} (its HTTP status line
                // is lost after headers are written). Treat such an answer as the status it names.
                if (PusherRestAnswers.ErrorCodeInBody(json) is not { } embedded) return json;
                status = (HttpStatusCode)embedded;
                code = embedded;
            }
            if (code >= 500)
            {
                lastError = null;
                lastStatus = status;
                lastBody = responseText;
                continue;
            }
            throw PusherRestAnswers.ClientError(method.Method, path, status, responseText);
        }

        if (lastStatus is not null)
            throw new PusherApiException(
                $"Pusher failed {method.Method} {path} with {(int)lastStatus} after {maxAttempts} attempt(s): {PusherRestAnswers.Shorten(lastBody)}",
                lastStatus, lastBody, method.Method, path, maxAttempts);
        var what = lastError is TimeoutException ? "timed out" : "could not be sent";
        throw new PusherApiException(
            $"Pusher request {method.Method} {path} to {Options.RestBaseUri} {what} after {maxAttempts} attempt(s): {lastError?.Message}",
            null, null, method.Method, path, maxAttempts, lastError);
    }

    private TimeSpan Backoff(int retry)
    {
        var ms = Options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, retry - 1);
        return TimeSpan.FromMilliseconds(Math.Min(ms, 2000));
    }

    private static PusherOptions Validate(PusherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.AppId)) throw new ArgumentException("PusherOptions.AppId must be set", nameof(options));
        if (string.IsNullOrWhiteSpace(options.Key)) throw new ArgumentException("PusherOptions.Key must be set", nameof(options));
        if (string.IsNullOrWhiteSpace(options.Secret)) throw new ArgumentException("PusherOptions.Secret must be set", nameof(options));
        if (options.RequestTimeout <= TimeSpan.Zero) throw new ArgumentException("PusherOptions.RequestTimeout must be positive", nameof(options));
        if (options.MaxRetries < 0) throw new ArgumentException("PusherOptions.MaxRetries must not be negative", nameof(options));
        return options;
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
