using Microsoft.Playwright;

namespace Realtime.Relay.Tests.Browser;

/// <summary>
/// A dashboard page on another origin, in Chromium, uses the relay as pusher-js's auth endpoint:
/// the browser's own CORS rules decide, not a header check in a test.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class CrossOriginDashboardTests(BrowserEnvironment env)
{
    private string DashboardUrl(LoopbackSite site, string token, string channel) =>
        $"{site.Origin}/dashboard.html#relay={Uri.EscapeDataString(env.Relay.BaseUrl)}&key={env.Soketi.Settings.Key}" +
        $"&host={env.Soketi.Host}&port={env.Soketi.Port}&channel={channel}&token={token}";

    [Fact]
    public async Task A_dashboard_on_an_allowed_origin_sees_players_join_and_leave_presence()
    {
        var educator = Realtime.Testing.TestJwt.For("teacher-cors", "educator");
        var server = await env.GameWithServerAsync(educator, "cors1");
        await env.ReportPlayersAsync("cors1", server, (101, "builder"));

        var page = await env.Browser.NewPageAsync();
        await page.GotoAsync(DashboardUrl(env.AllowedSite, educator, "presence-game-cors1"));
        await Assertions.Expect(page.Locator("#state")).ToHaveTextAsync("subscribed");
        await Assertions.Expect(page.Locator("#info")).ToContainTextAsync("info: version");
        await Assertions.Expect(page.Locator("#players li[data-member='roblox-101']")).ToContainTextAsync("Display builder (@builder) on job-cors1");

        await env.ReportPlayersAsync("cors1", server, (101, "builder"), (202, "alice"));
        await Assertions.Expect(page.Locator("#players li[data-member='roblox-202']")).ToContainTextAsync("Display alice");

        await env.ReportPlayersAsync("cors1", server, (202, "alice"));
        await Assertions.Expect(page.Locator("#players li[data-member='roblox-101']")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#players li")).ToHaveCountAsync(1);
        await BrowserSession.ScreenshotAsync(page, "dashboard-cross-origin");
    }

    [Fact]
    public async Task The_browser_refuses_the_relay_to_an_origin_not_in_RELAY_CORS_ORIGINS()
    {
        var educator = Realtime.Testing.TestJwt.For("teacher-other", "educator");
        var page = await env.Browser.NewPageAsync();
        await page.GotoAsync(DashboardUrl(env.OtherSite, educator, "presence-game-cors2"));
        // pusher-js sees status 0: the browser withheld the answer (no Access-Control-Allow-Origin).
        await Assertions.Expect(page.Locator("#state")).ToHaveTextAsync("auth failed: status 0");
        await Assertions.Expect(page.Locator("#info")).ToHaveTextAsync("info: failed TypeError");
    }
}
