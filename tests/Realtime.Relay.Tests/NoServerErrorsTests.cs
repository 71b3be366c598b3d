using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Tests.Inbox;
using Realtime.Testing;

namespace Realtime.Relay.Tests;

/// <summary>
/// docs/api.md "Conventions": nothing a client sends can produce a 500. Every route the OpenAPI document lists
/// gets malformed bodies, odd route values and each kind of caller; every answer must be a
/// problem or a success, never a server error.
/// </summary>
public sealed class NoServerErrorsTests : IDisposable
{
    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["Relay:Pairing:StartsPerMinute"] = "100000" });

    private static readonly string[] Bodies =
    [
        "", "null", "[]", "{}", "\"text\"", "12", "{\"events\":{}}", "{\"players\":[{\"userId\":\"x\"}]}",
        "{\"channels\":[null,1,{}]}", "{\"deviceCode\":[]}", "{\"userCode\":{\"a\":1}}", "{\"gameId\":null,\"name\":123}",
        "{\"jobId\":\"" + new string('j', 5000) + "\",\"placeId\":1e400}", "{" + new string('[', 500),
        new string('{', 2000) + new string('}', 2000), "{\"a\":\"\\ud800\"}",
    ];

    private static readonly string[] RouteValues = ["x", new string('a', 3000), "..%2F..", "with space", "é"];

    [Fact]
    public async Task No_route_answers_a_server_error_whatever_it_is_sent()
    {
        var spec = JObject.Parse(await _relay.CreateClient().GetStringAsync("/openapi/v1.json"));
        var (client, clientHttp) = await new InboxHarness(_relay).NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var callers = new List<HttpClient> { _relay.CreateClient(), _relay.ClientAs("u1", "educator"), _relay.ClientAs("a1", "admin"), clientHttp };
        var failures = new List<string>();
        var requests = 0;

        foreach (var (template, operations) in (JObject)spec["paths"]!)
        {
            if (template is "/readyz") continue; // 503 by design while Pusher is unreachable
            foreach (var (method, _) in (JObject)operations!)
            {
                var paths = RouteValues.Select(v => System.Text.RegularExpressions.Regex.Replace(template, "{[^}]+}", v))
                    .Append(template.Replace("{gameId}", "g1").Replace("{jobId}", client.Id).Replace("{pluginId}", "p1"));
                foreach (var path in paths)
                foreach (var caller in callers)
                foreach (var body in method is "get" or "delete" ? [""] : Bodies)
                {
                    // Long-polls answer at once with wait=0; a stream's status arrives with its headers.
                    using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path.EndsWith("/events") ? path + "?wait=0" : path);
                    if (method is not ("get" or "delete")) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    using var res = await caller.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    requests++;
                    if ((int)res.StatusCode >= 500 && !(res.StatusCode == HttpStatusCode.ServiceUnavailable && path.StartsWith("/plugin/")))
                        failures.Add($"{method.ToUpperInvariant()} {path[..Math.Min(path.Length, 80)]} body {body[..Math.Min(body.Length, 40)]} -> {(int)res.StatusCode}");
                }
            }
        }
        Assert.True(requests > 1000, $"only {requests} requests were made");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Distinct().Take(40)));
    }

    public void Dispose() => _relay.Dispose();
}
