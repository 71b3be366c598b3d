using System.Net;
using Realtime.Relay.Configuration;

namespace Realtime.Relay.Tests.Cors;

/// <summary>
/// The headers behind what the browser tests (Browser/) prove in Chromium: a preflight from a
/// listed origin is answered; anything else gets no Access-Control-Allow-* at all.
/// </summary>
public sealed class CorsTests : IDisposable
{
    private const string Dashboard = "https://dashboard.example.org";
    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["RELAY_CORS_ORIGINS"] = Dashboard + ", http://localhost:5173" });

    private static HttpRequestMessage Preflight(string path, string origin, string method = "POST") => new(HttpMethod.Options, path)
    {
        Headers =
        {
            { "Origin", origin },
            { "Access-Control-Request-Method", method },
            { "Access-Control-Request-Headers", "authorization,content-type" },
        },
    };

    [Theory]
    [InlineData("/api/v1/pusher/auth", "POST")]
    [InlineData("/api/v1/pusher/user-auth", "POST")]
    [InlineData("/api/v1/pairings/approve", "POST")]
    [InlineData("/api/v1/pairings/BCDF-GHJK", "GET")]
    [InlineData("/api/v1/plugins/p1", "DELETE")]
    [InlineData("/api/v1/games", "GET")]
    [InlineData("/api/v1/games/g1/players", "GET")]
    [InlineData("/api/v1/info", "GET")]
    public async Task A_listed_origin_gets_its_preflight_answered_for_the_routes_a_browser_uses(string path, string method)
    {
        var res = await _relay.CreateClient().SendAsync(Preflight(path, Dashboard, method));
        Assert.Equal(HttpStatusCode.NoContent, res.StatusCode);
        Assert.Equal(Dashboard, res.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var allowed = string.Join(",", res.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        Assert.Contains("authorization", allowed);
        Assert.Contains("content-type", allowed);
        Assert.Contains(method, string.Join(",", res.Headers.GetValues("Access-Control-Allow-Methods")));
        Assert.False(res.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task An_unlisted_origin_gets_no_cors_headers_on_the_preflight_or_the_request()
    {
        var http = _relay.CreateClient();
        var preflight = await http.SendAsync(Preflight("/api/v1/pusher/auth", "https://evil.example.org"));
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        var get = new HttpRequestMessage(HttpMethod.Get, "/api/v1/info") { Headers = { { "Origin", "https://dashboard.example.org.evil.net" } } };
        Assert.False((await http.SendAsync(get)).Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_refusal_carries_the_cors_headers_so_the_page_can_read_the_401()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/pusher/auth")
        {
            Headers = { { "Origin", Dashboard } },
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["socket_id"] = "1.2", ["channel_name"] = "presence-game-1" }),
        };
        var res = await _relay.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
        Assert.Equal(Dashboard, res.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Without_RELAY_CORS_ORIGINS_no_origin_is_allowed()
    {
        using var closed = new RelayFactory();
        var res = await closed.CreateClient().SendAsync(Preflight("/api/v1/pusher/auth", Dashboard));
        Assert.False(res.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public void Origins_are_read_as_browsers_send_them_and_anything_else_is_refused()
    {
        Assert.Equal(["https://dash.example.org", "http://localhost:5173"],
            CorsOrigins.Parse(" HTTPS://Dash.Example.org:443 ,http://localhost:5173,https://dash.example.org"));
        Assert.Empty(CorsOrigins.Parse(null));
        foreach (var bad in new[] { "dash.example.org", "https://dash.example.org/", "https://dash.example.org/x", "*", "https://*.example.org",
                     "ftp://dash.example.org", "https://user@dash.example.org", "https://dash.example.org?x=1" })
            Assert.Throws<FormatException>(() => CorsOrigins.Parse(bad));
    }

    public void Dispose() => _relay.Dispose();
}
