using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

public sealed class ReadinessTests(SoketiAndRelay env) : IClassFixture<SoketiAndRelay>
{
    [Fact]
    public async Task Readyz_is_200_when_pusher_answers_signed_requests()
    {
        using var http = new HttpClient();
        var res = await http.GetAsync(env.Relay.BaseUrl + "/readyz");
        var json = JObject.Parse(await res.Content.ReadAsStringAsync());
        Assert.True(res.StatusCode == HttpStatusCode.OK, json.ToString());
        Assert.True((bool)json["checks"]!["pusher"]!["ready"]!);
    }

    [Fact]
    public async Task Readyz_is_503_naming_authentication_when_the_secret_is_wrong()
    {
        var environment = RelayProcess.EnvironmentFor(env.Soketi, TempDirectory.NewDatabasePath("relay-ready"));
        environment["PUSHER_SECRET"] = "not-the-secret";
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, environment);
        using var http = new HttpClient();
        var res = await http.GetAsync(relay.BaseUrl + "/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, res.StatusCode);
        var detail = (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["checks"]!["pusher"]!["detail"];
        Assert.Contains("authentication", detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Readyz_is_503_when_pusher_is_unreachable()
    {
        using var relay = new RelayFactory(); // points at port 1, where nothing listens
        var res = await relay.CreateClient().GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, res.StatusCode);
        var json = JObject.Parse(await res.Content.ReadAsStringAsync());
        Assert.Equal("not_ready", (string?)json["code"]);
        Assert.False((bool)json["checks"]!["pusher"]!["ready"]!);
    }
}
