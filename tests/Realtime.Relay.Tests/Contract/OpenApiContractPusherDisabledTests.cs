using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Realtime.Relay.Clients;
using Realtime.Relay.Tests.Inbox;

namespace Realtime.Relay.Tests.Contract;

/// <summary>With PUSHER_ENABLED=false the routes that need Pusher answer 503 <c>pusher_disabled</c>, as their documents say.</summary>
public sealed class OpenApiContractPusherDisabledTests : IDisposable
{
    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["PUSHER_ENABLED"] = "false" });

    [Fact]
    public async Task Routes_that_need_pusher_answer_a_documented_503_when_it_is_disabled()
    {
        var contract = new OpenApiContract(JsonNode.Parse(await _relay.CreateClient().GetStringAsync("/openapi/v1.json"))!.AsObject());
        var (server, serverHttp) = await new InboxHarness(_relay).NewClientAsync(ClientKind.GameServer, gameId: "g1");
        var admin = _relay.ClientAs("admin-1", "admin");
        var violations = new List<string>();
        async Task Check(HttpClient http, string method, string template, string path, HttpContent? body = null)
        {
            using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = body });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("pusher_disabled", await response.Content.ReadAsStringAsync());
            violations.AddRange(await contract.ViolationsAsync(method, template, response));
        }

        await Check(serverHttp, "PUT", "/api/v1/games/{gameId}/servers/{jobId}/players", server.BasePath + "/players", Json("{\"players\":[]}"));
        await Check(admin, "GET", "/api/v1/games/{gameId}/players", "/api/v1/games/g1/players");
        await Check(admin, "POST", "/api/v1/pusher/auth", "/api/v1/pusher/auth", Form("socket_id=1.1&channel_name=presence-game-g1"));
        await Check(admin, "POST", "/api/v1/pusher/user-auth", "/api/v1/pusher/user-auth", Form("socket_id=1.1"));
        await Check(_relay.CreateClient(), "POST", "/api/v1/pusher/webhooks", "/api/v1/pusher/webhooks", Json("{}"));
        await Check(admin, "POST", "/api/v1/console/events", "/api/v1/console/events", Json("{\"channel\":\"roblox-sync\",\"event\":\"e\",\"data\":\"{}\"}"));
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        Assert.Equal(6, contract.BodiesValidated);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
    private static StringContent Form(string body) => new(body, Encoding.UTF8, "application/x-www-form-urlencoded");

    public void Dispose() => _relay.Dispose();
}
