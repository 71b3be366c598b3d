using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Tests.Infrastructure;

/// <summary>
/// Without RELAY_PUBLIC_URL the relay's links (pairing verificationUri, the served plugin's
/// baseUrl) never echo a Host header that does not name the address the client connected to.
/// </summary>
public sealed class HostHeaderTests : IDisposable
{
    private readonly RelayFactory _relay = new();

    // Hosts Kestrel itself would refuse (/, @, CRLF) still reach the app from a test server or a proxy.
    public static TheoryData<string> HostileHosts => new()
    {
        "evil.example", "evil.example:8080", "localhost.evil.example", "evil.example/x", "user@evil.example",
        "localhost:1@evil.example", "evil.example\r\nX-Injected: 1", "[::1]@evil.example", "127.0.0.1.evil.example",
    };

    private async Task<HttpContext> SendAsync(string host, string method, string path, string? json = null) =>
        await _relay.Server.SendAsync(http =>
        {
            http.Request.Method = method;
            http.Request.Path = path;
            http.Request.Headers.Host = host; // as sent: HostString's setter would refuse some of these
            if (json is null) return;
            http.Request.ContentType = "application/json";
            http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        });

    private static string BodyOf(HttpContext http) => new StreamReader(http.Response.Body).ReadToEnd();

    [Theory]
    [MemberData(nameof(HostileHosts))]
    public async Task A_hostile_Host_header_is_not_echoed_into_the_pairing_verification_uri(string host)
    {
        var http = await SendAsync(host, "POST", "/api/v1/pairings", "{}");
        var body = BodyOf(http);
        Assert.True(http.Response.StatusCode == 201, body);
        var started = JObject.Parse(body);
        Assert.Equal("http://localhost/console/pair", (string?)started["verificationUri"]);
        Assert.DoesNotContain("evil", body);
    }

    [Theory]
    [MemberData(nameof(HostileHosts))]
    public async Task A_hostile_Host_header_is_not_echoed_into_the_served_plugins_base_url(string host)
    {
        var http = await SendAsync(host, "GET", "/plugin/RealtimeBridge.rbxmx");
        var body = BodyOf(http);
        Assert.True(http.Response.StatusCode == 200, body);
        Assert.Contains("baseUrl = \"http://localhost\", -- relay:public-url", body);
        Assert.DoesNotContain("evil", body);
    }

    public void Dispose() => _relay.Dispose();
}
