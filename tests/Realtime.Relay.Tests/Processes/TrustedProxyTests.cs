using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// Issue 9, item 10: X-Forwarded-For/-Proto/-Host are believed only from RELAY_TRUSTED_PROXIES.
/// The relay runs as a process on loopback, so requests really come from 127.0.0.1.
/// </summary>
public sealed class TrustedProxyTests
{
    private static async Task<RelayProcess> StartAsync(string? trustedProxies)
    {
        var env = new Dictionary<string, string?>
        {
            ["PUSHER_ENABLED"] = "false",
            ["AUTH_JWT_SECRET"] = TestJwt.Secret,
            ["RELAY_DB_PATH"] = TempDirectory.NewDatabasePath("relay-proxy"),
            ["Relay__Pairing__StartsPerMinute"] = "2",
            ["RELAY_TRUSTED_PROXIES"] = trustedProxies,
        };
        return await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, env);
    }

    private static async Task<(HttpStatusCode Status, JObject Body)> StartPairingAsync(RelayProcess relay, string forwardedFor,
        string? proto = null, string? host = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(relay.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/pairings") { Content = Http.Json(new { }) };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        if (proto is not null) request.Headers.Add("X-Forwarded-Proto", proto);
        if (host is not null) request.Headers.Add("X-Forwarded-Host", host);
        using var res = await http.SendAsync(request);
        return (res.StatusCode, await Http.ReadAsync(res));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("10.1.2.3, 192.168.0.0/16")] // proxies are configured, but the caller is not one of them
    public async Task Without_a_trusted_proxy_forwarded_headers_change_neither_the_pairing_limit_key_nor_the_verification_uri(string? trusted)
    {
        await using var relay = await StartAsync(trusted);
        var (first, body) = await StartPairingAsync(relay, "203.0.113.1", proto: "https", host: "evil.example");
        Assert.Equal(HttpStatusCode.Created, first);
        Assert.Equal(relay.BaseUrl + "/console/pair", (string?)body["verificationUri"]);
        Assert.Equal(HttpStatusCode.Created, (await StartPairingAsync(relay, "203.0.113.2")).Status);
        var (third, problem) = await StartPairingAsync(relay, "203.0.113.3");
        Assert.Equal(HttpStatusCode.TooManyRequests, third); // all three came from 127.0.0.1: one limit
        Assert.Equal("rate_limited", (string?)problem["code"]);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_address_has_its_own_pairing_start_limit()
    {
        await using var relay = await StartAsync("127.0.0.1");
        Assert.Equal(HttpStatusCode.Created, (await StartPairingAsync(relay, "203.0.113.1")).Status);
        Assert.Equal(HttpStatusCode.Created, (await StartPairingAsync(relay, "203.0.113.1")).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await StartPairingAsync(relay, "203.0.113.1")).Status);
        Assert.Equal(HttpStatusCode.Created, (await StartPairingAsync(relay, "203.0.113.2")).Status);
        // A chain through another trusted hop still finds the client.
        Assert.Equal(HttpStatusCode.Created, (await StartPairingAsync(relay, "198.51.100.7, 127.0.0.1")).Status);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_forwarded_scheme_and_host_make_the_verification_uri()
    {
        await using var relay = await StartAsync("127.0.0.0/8");
        var (status, body) = await StartPairingAsync(relay, "203.0.113.9", proto: "https", host: "relay.example.org");
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("https://relay.example.org/console/pair", (string?)body["verificationUri"]);
    }
}
