using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Tests.Pairing;

public sealed class AccountsOpenApiTests : IDisposable
{
    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["PUSHER_ENABLED"] = "false" });

    [Fact]
    public async Task The_accounts_endpoints_are_in_the_openapi_document_and_work_with_pusher_disabled()
    {
        var json = JObject.Parse(await _relay.CreateClient().GetStringAsync("/openapi/v1.json"));
        foreach (var path in new[]
                 {
                     "/api/v1/pairings", "/api/v1/pairings/token", "/api/v1/pairings/approve", "/api/v1/pairings/deny",
                     "/api/v1/plugins", "/api/v1/plugins/{pluginId}", "/api/v1/games", "/api/v1/games/{gameId}/keys/rotate",
                     "/api/v1/games/{gameId}/servers", "/api/v1/games/{gameId}/servers/{jobId}",
                 })
            Assert.True(json["paths"]![path] is not null, path);

        var res = await _relay.CreateClient().PostAsync("/api/v1/pairings", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, res.StatusCode);
    }

    public void Dispose() => _relay.Dispose();
}
