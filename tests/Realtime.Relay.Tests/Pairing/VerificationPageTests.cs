using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Pairing;

/// <summary>Where the plugin sends the educator (RFC 8628 verification_uri), and what they find there.</summary>
public sealed class VerificationPageTests
{
    [Fact]
    public async Task By_default_the_verification_uri_is_the_consoles_pair_page()
    {
        using var relay = new RelayFactory();
        var http = relay.CreateClient();
        var (_, started, _) = await http.PostJsonAsync("/api/v1/pairings", new { });
        var uri = new Uri((string)started["verificationUriComplete"]!);
        Assert.Equal("/console/pair", uri.AbsolutePath);
        Assert.Equal("?code=" + (string)started["userCode"]!, uri.Query);
        Assert.EndsWith("/console/pair", (string)started["verificationUri"]!);

        var res = await http.GetAsync(uri.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("text/html", res.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/console/app.js", await res.Content.ReadAsStringAsync());
        Assert.Contains("script-src 'self'", res.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task The_old_pair_address_redirects_to_the_console_with_the_code_escaped()
    {
        using var relay = new RelayFactory();
        var http = relay.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var res = await http.GetAsync("/pair?code=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
        Assert.Equal(HttpStatusCode.Redirect, res.StatusCode);
        Assert.Equal("/console/pair?code=%3Cscript%3Ealert%281%29%3C%2Fscript%3E", res.Headers.Location?.OriginalString);
        var plain = await http.GetAsync("/pair");
        Assert.Equal("/console/pair", plain.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_configured_dashboard_page_is_the_verification_uri()
    {
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:Pairing:VerificationUri"] = "https://dashboard.example.org/roblox/pair" });
        var (_, started, _) = await relay.CreateClient().PostJsonAsync("/api/v1/pairings", new { });
        Assert.Equal("https://dashboard.example.org/roblox/pair", (string?)started["verificationUri"]);
    }
}
