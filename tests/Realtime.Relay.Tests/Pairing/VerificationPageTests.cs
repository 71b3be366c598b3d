using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Pairing;

/// <summary>Where the plugin sends the educator (RFC 8628 verification_uri), and what they find there.</summary>
public sealed class VerificationPageTests
{
    [Fact]
    public async Task By_default_the_relays_own_pair_page_says_where_to_approve_the_code()
    {
        using var relay = new RelayFactory();
        var http = relay.CreateClient();
        var (_, started, _) = await http.PostJsonAsync("/api/v1/pairings", new { });
        var uri = new Uri((string)started["verificationUriComplete"]!);
        var res = await http.GetAsync(uri.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("text/html", res.Content.Headers.ContentType?.MediaType);
        var page = await res.Content.ReadAsStringAsync();
        Assert.Contains((string)started["userCode"]!, page);
        Assert.Contains("/api/v1/pairings/approve", page);
    }

    [Fact]
    public async Task The_pair_page_shows_the_code_as_text_never_as_markup()
    {
        using var relay = new RelayFactory();
        var page = await relay.CreateClient().GetStringAsync("/pair?code=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
        Assert.DoesNotContain("<script>", page);
        Assert.Contains("&lt;script&gt;", page);
    }

    [Fact]
    public async Task A_configured_dashboard_page_is_the_verification_uri()
    {
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:Pairing:VerificationUri"] = "https://dashboard.example.org/roblox/pair" });
        var (_, started, _) = await relay.CreateClient().PostJsonAsync("/api/v1/pairings", new { });
        Assert.Equal("https://dashboard.example.org/roblox/pair", (string?)started["verificationUri"]);
    }
}
