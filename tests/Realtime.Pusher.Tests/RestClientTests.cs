using System.Net;
using System.Net.Sockets;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Rest;
using Realtime.Pusher.Tests.Support;

namespace Realtime.Pusher.Tests;

/// <summary>Request shapes, answer parsing, retry policy and error reporting, against a local handler.</summary>
public class RestClientTests
{
    private static readonly PusherOptions Options = new()
    {
        AppId = "77", Key = "key", Secret = "secret", Host = "pusher.test", Port = 8080, Scheme = "http",
        MaxRetries = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(1), RequestTimeout = TimeSpan.FromSeconds(5),
    };

    private static PusherRestClient Client(RecordingHandler handler, PusherOptions? options = null) =>
        new(options ?? Options, handler, FixedTimeProvider.AtUnixSeconds(1_700_000_000));

    // ---------------------------------------------------------------- retry policy

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.RequestEntityTooLarge)]
    [InlineData((HttpStatusCode)429)]
    public async Task A_4xx_answer_is_never_retried(HttpStatusCode status)
    {
        var handler = RecordingHandler.Answering(status, "Pusher says no");
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<PusherApiException>(() => client.TriggerAsync("ch", "ev", "data"));

        Assert.Equal(1, handler.Count);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal("Pusher says no", e.ResponseBody);
        Assert.Contains("Pusher says no", e.Message);
        Assert.Contains(((int)status).ToString(), e.Message);
        Assert.False(e.IsTransient);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task A_5xx_answer_is_retried_max_retries_times_then_reported(HttpStatusCode status)
    {
        var handler = RecordingHandler.Answering(status, "upstream trouble");
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<PusherApiException>(() => client.TriggerAsync("ch", "ev", "data"));

        Assert.Equal(1 + Options.MaxRetries, handler.Count);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal(4, e.Attempts);
        Assert.Contains("upstream trouble", e.Message);
        Assert.True(e.IsTransient);
    }

    [Fact]
    public async Task A_5xx_followed_by_success_succeeds()
    {
        var handler = new RecordingHandler((_, n) => Task.FromResult(n < 3
            ? RecordingHandler.Json(HttpStatusCode.ServiceUnavailable, "busy")
            : RecordingHandler.Json(HttpStatusCode.OK, "{}")));
        using var client = Client(handler);

        await client.TriggerAsync("ch", "ev", "data");

        Assert.Equal(3, handler.Count);
        // Each attempt is a complete, freshly signed request with the same body.
        Assert.All(handler.Requests, r => Assert.Equal(handler.Requests[0].Body, r.Body));
    }

    [Fact]
    public async Task Network_errors_are_retried_then_reported_without_a_status()
    {
        var handler = new RecordingHandler((_, _) => throw new HttpRequestException("connection refused", new SocketException(111)));
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<PusherApiException>(() => client.TriggerAsync("ch", "ev", "data"));

        Assert.Equal(4, handler.Count);
        Assert.Null(e.StatusCode);
        Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.Contains("connection refused", e.Message);
    }

    [Fact]
    public async Task A_timeout_is_retried_then_reported_as_a_timeout()
    {
        var handler = new RecordingHandler(async (_, _, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return RecordingHandler.Json(HttpStatusCode.OK, "{}");
        });
        using var client = Client(handler, Options with { MaxRetries = 1, RequestTimeout = TimeSpan.FromMilliseconds(100) });

        var e = await Assert.ThrowsAsync<PusherApiException>(() => client.TriggerAsync("ch", "ev", "data"));

        Assert.Equal(2, handler.Count);
        Assert.IsType<TimeoutException>(e.InnerException);
        Assert.Contains("timed out", e.Message);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_retried()
    {
        var handler = new RecordingHandler(async (_, _, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return RecordingHandler.Json(HttpStatusCode.OK, "{}");
        });
        using var client = Client(handler);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.TriggerAsync("ch", "ev", "data", cancellationToken: cts.Token));
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task A_401_names_authentication_and_is_not_retried()
    {
        // What Pusher answers when the secret is wrong: plain text, not JSON.
        var handler = RecordingHandler.Answering(HttpStatusCode.Unauthorized,
            "Invalid signature: you should have sent HmacSHA256Hex(\"POST\\n/apps/77/events\\n...\", your_secret_key), but you sent \"abc\"");
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<PusherAuthenticationException>(() => client.TriggerAsync("ch", "ev", "data"));

        Assert.Equal(1, handler.Count);
        Assert.StartsWith("Pusher rejected the request's authentication (401): check PUSHER_KEY/PUSHER_SECRET/PUSHER_APP_ID: Invalid signature", e.Message);
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
    }

    [Fact]
    public async Task A_soketi_style_error_inside_a_200_answer_is_treated_as_that_status()
    {
        // soketi 1.6 sends its 401 with HTTP status 200: {"error":"The secret authentication failed","code":401}.
        var handler = RecordingHandler.Answering(HttpStatusCode.OK, "{\"error\":\"The secret authentication failed\",\"code\":401}");
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<PusherAuthenticationException>(() => client.TriggerAsync("ch", "ev", "data"));

        Assert.Equal(1, handler.Count);
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.Contains("The secret authentication failed", e.Message);
    }

    [Fact]
    public async Task A_soketi_style_server_error_inside_a_200_answer_is_retried()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK, "{\"error\":\"A server error has occurred.\",\"code\":500}");
        using var client = Client(handler);
        var e = await Assert.ThrowsAsync<PusherApiException>(() => client.TriggerAsync("ch", "ev", "data"));
        Assert.Equal(4, handler.Count);
        Assert.Equal(HttpStatusCode.InternalServerError, e.StatusCode);
    }

    [Fact]
    public async Task A_403_about_the_key_names_authentication()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.Forbidden, "Unknown auth_key");
        using var client = Client(handler);
        var e = await Assert.ThrowsAsync<PusherAuthenticationException>(() => client.GetChannelsAsync());
        Assert.Contains("authentication (403)", e.Message);
    }

    [Fact]
    public async Task A_403_for_another_reason_is_a_plain_api_error()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.Forbidden, "Application is over its message quota");
        using var client = Client(handler);
        var e = await Assert.ThrowsAsync<PusherApiException>(() => client.TriggerAsync("ch", "ev", "data"));
        Assert.IsNotType<PusherAuthenticationException>(e);
        Assert.Contains("message quota", e.Message);
    }

    [Fact]
    public async Task A_success_with_a_non_json_body_is_reported_clearly()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK, "<html>proxy</html>");
        using var client = Client(handler);
        var e = await Assert.ThrowsAsync<PusherApiException>(() => client.GetChannelsAsync());
        Assert.Contains("not JSON", e.Message);
        Assert.Equal(1, handler.Count);
    }

    // ---------------------------------------------------------------- request shapes and answers

    [Fact]
    public async Task Trigger_posts_to_the_events_path_with_socket_id_and_info_and_parses_the_channels()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK,
            "{\"channels\":{\"presence-a\":{\"subscription_count\":3,\"user_count\":2},\"b\":{\"subscription_count\":0}}}");
        using var client = Client(handler);

        var result = await client.TriggerAsync(["presence-a", "b"], "ev", new { n = 1 },
            new TriggerOptions { SocketId = "123.456", Info = [PusherInfo.SubscriptionCount, PusherInfo.UserCount] });

        var r = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, r.Method);
        Assert.Equal("http://pusher.test:8080/apps/77/events", r.Uri.GetLeftPart(UriPartial.Path));
        Assert.Equal("application/json", r.ContentType);
        Assert.Equal("{\"name\":\"ev\",\"data\":\"{\\\"n\\\":1}\",\"channels\":[\"presence-a\",\"b\"],\"socket_id\":\"123.456\",\"info\":\"subscription_count,user_count\"}", r.Body);
        Assert.Equal(3, result.Channels["presence-a"].SubscriptionCount);
        Assert.Equal(2, result.Channels["presence-a"].UserCount);
        Assert.Equal(0, result.Channels["b"].SubscriptionCount);
        Assert.Null(result.Channels["b"].UserCount);
    }

    [Fact]
    public async Task String_data_is_sent_as_is_and_object_data_as_json()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK);
        using var client = Client(handler);
        await client.TriggerAsync("ch", "ev", "{\"already\":\"json\"}");
        await client.TriggerAsync("ch", "ev", "plain text");
        await client.TriggerAsync("ch", "ev", JObject.Parse("{\"b\":[1,2.5,\"x\"]}"));

        Assert.Equal("{\"already\":\"json\"}", (string)JObject.Parse(handler.Requests[0].Body!)["data"]!);
        Assert.Equal("plain text", (string)JObject.Parse(handler.Requests[1].Body!)["data"]!);
        Assert.Equal("{\"b\":[1,2.5,\"x\"]}", (string)JObject.Parse(handler.Requests[2].Body!)["data"]!);
    }

    [Fact]
    public async Task Batch_posts_each_event_with_its_options_and_parses_the_per_event_info()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK, "{\"batch\":[{\"subscription_count\":5},{}]}");
        using var client = Client(handler);

        var result = await client.TriggerBatchAsync([
            new BatchEvent("a", "e1", "d1", socketId: "1.2", info: [PusherInfo.SubscriptionCount]),
            new BatchEvent("b", "e2", new { x = true }),
        ]);

        var r = Assert.Single(handler.Requests);
        Assert.Equal("/apps/77/batch_events", r.Uri.AbsolutePath);
        Assert.Equal("{\"batch\":[{\"channel\":\"a\",\"name\":\"e1\",\"data\":\"d1\",\"socket_id\":\"1.2\",\"info\":\"subscription_count\"},{\"channel\":\"b\",\"name\":\"e2\",\"data\":\"{\\\"x\\\":true}\"}]}", r.Body);
        Assert.Equal(2, result.Batch.Count);
        Assert.Equal(5, result.Batch[0].SubscriptionCount);
        Assert.Null(result.Batch[1].SubscriptionCount);
    }

    [Fact]
    public async Task Channel_list_sends_prefix_and_info_and_parses_channels()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK, "{\"channels\":{\"presence-x\":{\"user_count\":4},\"presence-y\":{}}}");
        using var client = Client(handler);

        var channels = await client.GetChannelsAsync("presence-", [PusherInfo.UserCount]);

        var r = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Get, r.Method);
        Assert.Null(r.Body);
        Assert.Equal("/apps/77/channels", r.Uri.AbsolutePath);
        var q = System.Web.HttpUtility.ParseQueryString(r.Uri.Query);
        Assert.Equal("presence-", q["filter_by_prefix"]);
        Assert.Equal("user_count", q["info"]);
        Assert.Null(q["body_md5"]);
        Assert.Equal(4, channels["presence-x"].UserCount);
        Assert.Null(channels["presence-y"].UserCount);
    }

    [Fact]
    public async Task Channel_info_parses_occupied_and_counts()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK, "{\"occupied\":true,\"subscription_count\":7}");
        using var client = Client(handler);

        var info = await client.GetChannelAsync("private-a=b@c", [PusherInfo.SubscriptionCount]);

        Assert.Equal("/apps/77/channels/private-a=b@c", Assert.Single(handler.Requests).Uri.AbsolutePath);
        Assert.True(info.Occupied);
        Assert.Equal(7, info.SubscriptionCount);
    }

    [Fact]
    public async Task Presence_users_are_listed()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK, "{\"users\":[{\"id\":\"u1\"},{\"id\":2}]}");
        using var client = Client(handler);

        var users = await client.GetPresenceUsersAsync("presence-room");

        Assert.Equal("/apps/77/channels/presence-room/users", Assert.Single(handler.Requests).Uri.AbsolutePath);
        Assert.Equal([new PresenceUser("u1"), new PresenceUser("2")], users);
    }

    [Fact]
    public async Task Terminate_user_connections_posts_an_empty_object()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK);
        using var client = Client(handler);

        await client.TerminateUserConnectionsAsync("user-1");

        var r = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, r.Method);
        Assert.Equal("/apps/77/users/user-1/terminate_connections", r.Uri.AbsolutePath);
        Assert.Equal("{}", r.Body);
        Assert.Equal("99914b932bd37a50b983c5e7c90ae93b", System.Web.HttpUtility.ParseQueryString(r.Uri.Query)["body_md5"]);
    }

    [Fact]
    public async Task Every_request_is_signed_so_the_server_can_rebuild_the_signature_from_the_decoded_query()
    {
        var handler = RecordingHandler.Answering(HttpStatusCode.OK, "{\"channels\":{}}");
        using var client = Client(handler);
        await client.GetChannelsAsync("presence-", [PusherInfo.UserCount, PusherInfo.SubscriptionCount]);

        var r = Assert.Single(handler.Requests);
        var q = System.Web.HttpUtility.ParseQueryString(r.Uri.Query);
        var parameters = q.AllKeys.Where(k => k != "auth_signature").Select(k => new KeyValuePair<string, string>(k!, q[k]!));
        var expected = Auth.PusherSignature.Sign("secret", RequestSigner.BuildStringToSign("GET", r.Uri.AbsolutePath, parameters));
        Assert.Equal(expected, q["auth_signature"]);
    }

    [Fact]
    public void The_default_constructor_shares_one_http_client_across_instances()
    {
        using var a = new PusherRestClient(Options);
        using var b = new PusherRestClient(Options);
        var field = typeof(PusherRestClient).GetField("_http", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        Assert.Same(field.GetValue(a), field.GetValue(b));
    }
}
