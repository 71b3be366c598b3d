using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Tests.Contract;

/// <summary>
/// Every route, answering both success and refusal, is held to the OpenAPI document the relay
/// serves: declared status, declared content type, body valid against the declared schema. A route
/// the document lacks, or an answer it does not describe, fails the test.
/// </summary>
public sealed class OpenApiContractTests(ITestOutputHelper output) : IDisposable
{
    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["Relay:Pairing:StartsPerMinute"] = "100000" });
    private readonly List<string> _violations = [];
    private readonly List<string> _answers = [];
    private OpenApiContract _contract = null!;

    [Fact]
    public async Task Every_route_answers_as_the_openapi_document_says_for_success_and_for_errors()
    {
        _contract = new OpenApiContract(JsonNode.Parse(await _relay.CreateClient().GetStringAsync("/openapi/v1.json"))!.AsObject());
        var anonymous = _relay.CreateClient();
        var educator = _relay.ClientAs("edu-1", "educator");
        var admin = _relay.ClientAs("admin-1", "admin");

        await Check(anonymous, "GET", "/healthz");
        await Check(anonymous, "GET", "/readyz"); // 503: Pusher is unreachable in this host
        await Check(anonymous, "GET", "/api/v1/info");
        await Check(anonymous, "GET", "/plugin/RealtimeBridge.rbxmx");
        await Check(anonymous, "GET", "/plugin/RealtimeBridgeServer.rbxmx");

        // Pairing: start, look up, approve, exchange; deny another; and their refusals.
        var started = await Body(await Check(anonymous, "POST", "/api/v1/pairings", Json(new { placeId = 1, pluginVersion = "1.0.0" })));
        await Check(anonymous, "POST", "/api/v1/pairings", Json(new { placeId = -1 }));
        await Check(anonymous, "POST", "/api/v1/pairings", new StringContent("x", Encoding.UTF8, "text/plain"));
        await Check(anonymous, "POST", "/api/v1/pairings", Json(new { pluginVersion = new string('x', 70 * 1024) }));
        await Check(anonymous, "POST", "/api/v1/pairings/token", Json(new { deviceCode = (string)started["deviceCode"]! })); // authorization_pending
        await Check(anonymous, "POST", "/api/v1/pairings/token", Json(new { }));
        var userCode = (string)started["userCode"]!;
        await Check(educator, "GET", "/api/v1/pairings/{userCode}", path: "/api/v1/pairings/" + userCode);
        await Check(educator, "GET", "/api/v1/pairings/{userCode}", path: "/api/v1/pairings/BCDFGHJK");
        await Check(anonymous, "GET", "/api/v1/pairings/{userCode}", path: "/api/v1/pairings/" + userCode);
        await Check(anonymous, "POST", "/api/v1/pairings/approve", Json(new { userCode }));
        await Check(educator, "POST", "/api/v1/pairings/approve", Json(new { userCode = "BCDF-GHJK" }));
        await Check(educator, "POST", "/api/v1/pairings/approve", Json(new { userCode }));
        await Check(educator, "POST", "/api/v1/pairings/deny", Json(new { userCode })); // already decided
        var grant = await Body(await Check(anonymous, "POST", "/api/v1/pairings/token", Json(new { deviceCode = (string)started["deviceCode"]! })));
        var other = await Body(await Check(anonymous, "POST", "/api/v1/pairings", Json(new { })));
        await Check(educator, "POST", "/api/v1/pairings/deny", Json(new { userCode = (string)other["userCode"]! }));
        await Check(educator, "POST", "/api/v1/pairings/deny", Json(new { userCode = "nope" }));

        // Plugins.
        var pluginId = (string)grant["pluginId"]!;
        var plugin = _relay.CreateClient().WithToken((string)grant["accessToken"]!);
        await Check(educator, "GET", "/api/v1/plugins");
        await Check(anonymous, "GET", "/api/v1/plugins");

        // Games and game-server sessions.
        var game = await Body(await Check(educator, "POST", "/api/v1/games", Json(new { gameId = "g1", name = "Game one" })));
        await Check(educator, "POST", "/api/v1/games", Json(new { gameId = "g1", name = "Again" }));
        await Check(educator, "POST", "/api/v1/games", Json(new { gameId = "bad id", name = "" }));
        await Check(_relay.ClientAs("s1", "student"), "POST", "/api/v1/games", Json(new { gameId = "g2", name = "No" }));
        await Check(educator, "GET", "/api/v1/games");
        await Check(educator, "GET", "/api/v1/games/{gameId}", path: "/api/v1/games/g1");
        await Check(educator, "GET", "/api/v1/games/{gameId}", path: "/api/v1/games/none");
        var rotated = await Body(await Check(educator, "POST", "/api/v1/games/{gameId}/keys/rotate", path: "/api/v1/games/g1/keys/rotate"));
        await Check(educator, "POST", "/api/v1/games/{gameId}/keys/rotate", path: "/api/v1/games/none/keys/rotate");
        Assert.NotEqual((string)game["serverKey"]!, (string)rotated["serverKey"]!);
        var keyed = _relay.CreateClient().WithToken((string)rotated["serverKey"]!);
        var session = await Body(await Check(keyed, "POST", "/api/v1/games/{gameId}/servers", Json(new { jobId = "job-1", placeId = 5 }), "/api/v1/games/g1/servers"));
        await Check(keyed, "POST", "/api/v1/games/{gameId}/servers", Json(new { jobId = "job-2" }), "/api/v1/games/g1/servers");
        await Check(anonymous, "POST", "/api/v1/games/{gameId}/servers", Json(new { jobId = "job-3", placeId = 5 }), "/api/v1/games/g1/servers");
        var server = _relay.CreateClient().WithToken((string)session["accessToken"]!);
        await Check(educator, "GET", "/api/v1/games/{gameId}/players", path: "/api/v1/games/g1/players");
        await Check(anonymous, "GET", "/api/v1/games/{gameId}/players", path: "/api/v1/games/g1/players");

        // A client's own inbox, publishing and roster, under both base paths.
        foreach (var (http, basePath, template) in new[]
                 {
                     (plugin, "/api/v1/plugins/" + pluginId, "/api/v1/plugins/{pluginId}"),
                     (server, "/api/v1/games/g1/servers/job-1", "/api/v1/games/{gameId}/servers/{jobId}"),
                 })
        {
            await Check(http, "GET", template + "/events", path: basePath + "/events?wait=0");
            await Check(http, "GET", template + "/events", path: basePath + "/events?limit=0");
            await Check(anonymous, "GET", template + "/events", path: basePath + "/events?wait=0");
            await Check(http == plugin ? server : plugin, "GET", template + "/events", path: basePath + "/events?wait=0");
            await CheckStream(http, template + "/stream", basePath + "/stream");
            await Check(http, "GET", template + "/stream", path: basePath + "/stream?after=-1");
            await Check(http, "GET", template + "/subscriptions", path: basePath + "/subscriptions");
            await Check(http, "PUT", template + "/subscriptions", Json(new { channels = new[] { "roblox-sync" } }), basePath + "/subscriptions");
            await Check(http, "PUT", template + "/subscriptions", Json(new { channels = new[] { "private-secret" } }), basePath + "/subscriptions");
            await Check(http, "PUT", template + "/subscriptions", Json(new { }), basePath + "/subscriptions");
            await Check(http, "POST", template + "/trigger", Json(new { events = new object[] { new { channel = "roblox-sync", @event = "hello", data = new { a = 1 }, id = "e1" } } }), basePath + "/trigger");
            await Check(http, "POST", template + "/trigger", Json(new { events = new object[] { new { channel = "private-other", @event = "hello", data = 1 } } }), basePath + "/trigger");
            await Check(http, "POST", template + "/trigger", Json(new { events = Array.Empty<object>() }), basePath + "/trigger");
            await Check(http, "PUT", template + "/players", Json(new { players = new[] { new { userId = 0, name = "" } } }), basePath + "/players");
        }
        await Check(plugin, "PUT", "/api/v1/plugins/{pluginId}/players", Json(new { players = new[] { new { userId = 1, name = "a" } } }), $"/api/v1/plugins/{pluginId}/players"); // no_game
        await Check(server, "PUT", "/api/v1/games/{gameId}/servers/{jobId}/players", Json(new { players = Array.Empty<object>() }), "/api/v1/games/g1/servers/job-1/players");

        // Pusher-facing endpoints.
        await Check(educator, "POST", "/api/v1/pusher/auth", Form(("socket_id", "1.1"), ("channel_name", "presence-game-g1")));
        await Check(educator, "POST", "/api/v1/pusher/auth", Form(("socket_id", "1.1"), ("channel_name", "private-plugin-" + pluginId)));
        await Check(_relay.ClientAs("edu-2", "educator"), "POST", "/api/v1/pusher/auth", Form(("socket_id", "1.1"), ("channel_name", "private-plugin-" + pluginId)));
        await Check(educator, "POST", "/api/v1/pusher/auth", Form(("socket_id", "x"), ("channel_name", "presence-game-g1")));
        await Check(educator, "POST", "/api/v1/pusher/auth", Json(new { socket_id = new { }, channel_name = new[] { 1 } })); // 400, never a 500
        await Check(educator, "POST", "/api/v1/pusher/auth", new StringContent("x", Encoding.UTF8, "text/plain"));
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, (await Check(educator, "POST", "/api/v1/pusher/auth")).StatusCode); // no body, no media type
        await Check(educator, "POST", "/api/v1/pusher/user-auth", Form(("socket_id", "1.1")));
        await Check(educator, "POST", "/api/v1/pusher/user-auth", Form(("socket_id", "")));
        await Check(anonymous, "POST", "/api/v1/pusher/user-auth", Form(("socket_id", "1.1")));
        var webhook = "{\"time_ms\":" + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + ",\"events\":[{\"name\":\"channel_occupied\",\"channel\":\"private-plugin-" + pluginId + "\"}]}";
        await Check(anonymous, "POST", "/api/v1/pusher/webhooks", Webhook(webhook, "app-secret"));
        await Check(anonymous, "POST", "/api/v1/pusher/webhooks", Webhook(webhook, "app-secret")); // the same body again: a duplicate
        await Check(anonymous, "POST", "/api/v1/pusher/webhooks", Webhook(webhook, "wrong-secret"));
        await Check(anonymous, "POST", "/api/v1/pusher/webhooks", Webhook("not json", "app-secret"));

        // The console's test event (Pusher is unreachable here: 502), its refusals.
        await Check(admin, "POST", "/api/v1/console/events", Json(new { channel = "roblox-sync", @event = "test", data = "{}" }));
        await Check(admin, "POST", "/api/v1/console/events", Json(new { channel = "bad channel", @event = "", data = "{}" }));
        await Check(educator, "POST", "/api/v1/console/events", Json(new { channel = "roblox-sync", @event = "test", data = "{}" }));

        // Endings: a session, a plugin, a game; then the same again (404) and without a token (401).
        await Check(server, "DELETE", "/api/v1/games/{gameId}/servers/{jobId}", path: "/api/v1/games/g1/servers/job-1");
        await Check(keyed, "DELETE", "/api/v1/games/{gameId}/servers/{jobId}", path: "/api/v1/games/g1/servers/job-1");
        await Check(anonymous, "DELETE", "/api/v1/games/{gameId}/servers/{jobId}", path: "/api/v1/games/g1/servers/job-1");
        await Check(_relay.ClientAs("edu-2", "educator"), "DELETE", "/api/v1/plugins/{pluginId}", path: "/api/v1/plugins/" + pluginId);
        await Check(plugin, "DELETE", "/api/v1/plugins/{pluginId}", path: "/api/v1/plugins/" + pluginId);
        await Check(educator, "DELETE", "/api/v1/plugins/{pluginId}", path: "/api/v1/plugins/" + pluginId);
        await Check(anonymous, "DELETE", "/api/v1/plugins/{pluginId}", path: "/api/v1/plugins/" + pluginId);
        await Check(educator, "DELETE", "/api/v1/games/{gameId}", path: "/api/v1/games/g1");
        await Check(educator, "DELETE", "/api/v1/games/{gameId}", path: "/api/v1/games/g1");

        var unchecked_ = _contract.Operations.Except(_contract.Checked).ToList();
        Assert.True(unchecked_.Count == 0, "operations the test never called: " + string.Join(", ", unchecked_));
        Assert.True(_violations.Count == 0, string.Join("\n", _violations));
        Assert.True(_contract.BodiesValidated >= 80, $"only {_contract.BodiesValidated} bodies were checked against a schema");
        foreach (var line in _answers.Distinct()) output.WriteLine(line);
    }

    [Fact]
    public async Task Every_controller_route_is_in_the_openapi_document()
    {
        var document = JObject.Parse(await _relay.CreateClient().GetStringAsync("/openapi/v1.json"));
        var documented = ((JObject)document["paths"]!).Properties()
            .SelectMany(p => ((JObject)p.Value).Properties().Select(o => o.Name.ToUpperInvariant() + " " + p.Name)).ToHashSet();
        var routes = _relay.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ControllerActionDescriptor>() is not null)
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Mvc.ApiExplorerSettingsAttribute>() is not { IgnoreApi: true })
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => m + " /" + e.RoutePattern.RawText!.TrimStart('/')))
            .ToList();
        Assert.True(routes.Count > 30, $"only {routes.Count} routes found");
        var missing = routes.Where(r => !documented.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "routes missing from /openapi/v1.json: " + string.Join(", ", missing));
    }

    private async Task<HttpResponseMessage> Check(HttpClient http, string method, string template, HttpContent? body = null, string? path = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path ?? template) { Content = body };
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        Assert.True((int)response.StatusCode < 500 || response.StatusCode is System.Net.HttpStatusCode.ServiceUnavailable or System.Net.HttpStatusCode.BadGateway,
            $"{method} {path ?? template}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        _answers.Add($"{method} {template} -> {(int)response.StatusCode}");
        _violations.AddRange(await _contract.ViolationsAsync(method, template, response));
        return response;
    }

    /// <summary>A stream's answer is its status and content type; its events are checked elsewhere (StreamTests).</summary>
    private async Task CheckStream(HttpClient http, string template, string path)
    {
        using var cancel = new CancellationTokenSource();
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var headersOnly = new HttpResponseMessage(response.StatusCode) { Content = new ByteArrayContent([]) };
        headersOnly.Content.Headers.ContentType = response.Content.Headers.ContentType;
        _answers.Add($"GET {template} -> 200 (stream)");
        _violations.AddRange(await _contract.ViolationsAsync("GET", template, headersOnly));
        await cancel.CancelAsync();
    }

    private static async Task<JObject> Body(HttpResponseMessage response) => JObject.Parse(await response.Content.ReadAsStringAsync());

    private static StringContent Json(object body) => new(Newtonsoft.Json.JsonConvert.SerializeObject(body), Encoding.UTF8, "application/json");

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private static StringContent Webhook(string body, string secret)
    {
        var content = new StringContent(body, Encoding.UTF8, "application/json");
        content.Headers.Add("X-Pusher-Key", "app-key");
        content.Headers.Add("X-Pusher-Signature", Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))));
        return content;
    }

    public void Dispose() => _relay.Dispose();
}

internal static class BearerClients
{
    public static HttpClient WithToken(this HttpClient http, string token)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
