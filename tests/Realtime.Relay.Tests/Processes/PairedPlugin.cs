using System.Net;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>A plugin paired over HTTP the way the Studio plugin does it, approved by an educator.</summary>
public sealed record PairedPlugin(string PluginId, string Token, string Channel, string OwnerId)
{
    public string BasePath => "/api/v1/plugins/" + PluginId;

    public static async Task<PairedPlugin> PairAsync(string relayUrl, string ownerId = "teacher")
    {
        using var http = new HttpClient { BaseAddress = new Uri(relayUrl) };
        var (_, started, _) = await http.PostJsonAsync("/api/v1/pairings", new { placeId = 1 });
        using var educator = new HttpClient { BaseAddress = new Uri(relayUrl) };
        educator.WithBearer(TestJwt.For(ownerId, "educator"));
        var (approved, _, _) = await educator.PostJsonAsync("/api/v1/pairings/approve", new { userCode = (string)started["userCode"]! });
        Assert.Equal(HttpStatusCode.OK, approved);
        var (status, grant, _) = await http.PostJsonAsync("/api/v1/pairings/token", new { deviceCode = (string)started["deviceCode"]! });
        Assert.Equal(HttpStatusCode.OK, status);
        return new PairedPlugin((string)grant["pluginId"]!, (string)grant["accessToken"]!, (string)grant["channel"]!, ownerId);
    }

    public HttpClient Client(string relayUrl) =>
        new HttpClient { BaseAddress = new Uri(relayUrl), Timeout = TimeSpan.FromSeconds(60) }.WithBearer(Token);
}
