using System.Net;
using Microsoft.Playwright;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Browser;

/// <summary>The console at /console in Chromium, signed in with the platform JWT from the URL fragment.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsolePagesTests(BrowserEnvironment env)
{
    [Fact]
    public async Task The_pair_page_approves_a_code_started_as_the_plugin_does_and_the_plugin_then_gets_its_token()
    {
        var started = await env.SendAsync(HttpMethod.Post, "/api/v1/pairings", null,
            new { placeId = 987654, studioUserId = 1234, pluginVersion = "1.4.0" }, HttpStatusCode.Created);
        var verification = (string)started["verificationUriComplete"]!;
        Assert.StartsWith(env.Relay.BaseUrl + "/console/pair?code=", verification);

        var educator = TestJwt.For("teacher-pair", "educator", name: "Ms Pair");
        var page = await env.Browser.NewPageAsync();
        await page.GotoAsync(verification + "#token=" + educator);
        var details = page.Locator("#pair-details");
        await Assertions.Expect(details).ToContainTextAsync("987654");
        await Assertions.Expect(details).ToContainTextAsync("1.4.0");
        await Assertions.Expect(page.Locator("#pair-status")).ToHaveTextAsync("Waiting for your decision");
        // The token left the address bar once read (history.replaceState), but the tab stays signed in.
        Assert.DoesNotContain("token=", page.Url);
        Assert.Contains("code=", page.Url);
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("Ms Pair (educator)");
        await BrowserSession.ScreenshotAsync(page, "console-pair");

        await page.Locator("#pair-approve").ClickAsync();
        await Assertions.Expect(page.Locator("#pair-result")).ToContainTextAsync("Approved. Plugin ");

        var grant = await env.SendAsync(HttpMethod.Post, "/api/v1/pairings/token", null, new { deviceCode = (string)started["deviceCode"]! });
        var pluginId = (string)grant["pluginId"]!;
        Assert.False(string.IsNullOrEmpty((string?)grant["accessToken"]));

        // The new plugin is the educator's, listed on the Plugins page of the same tab.
        await page.GotoAsync(env.Relay.BaseUrl + "/console/plugins");
        var row = page.Locator($"tr[data-plugin='{pluginId}']");
        await Assertions.Expect(row).ToContainTextAsync("987654");
        await BrowserSession.ScreenshotAsync(page, "console-plugins");
    }

    [Fact]
    public async Task The_games_page_shows_live_players_as_the_server_reports_them()
    {
        var educator = TestJwt.For("teacher-games", "educator", name: "Mr Games");
        var server = await env.GameWithServerAsync(educator, "console1");
        await env.ReportPlayersAsync("console1", server, (301, "robin"), (302, "sam"));

        var page = await env.Browser.NewPageAsync();
        await page.GotoAsync(env.Relay.BaseUrl + "/console/games#token=" + educator);
        var card = page.Locator("[data-game-card='console1']");
        await Assertions.Expect(card).ToContainTextAsync("job-console1");
        var players = page.Locator("ul.players[data-game='console1']");
        await Assertions.Expect(players.Locator("li[data-member='roblox-301']")).ToContainTextAsync("Display robin");
        await Assertions.Expect(players.Locator("li[data-member='roblox-302']")).ToContainTextAsync("@sam");
        await BrowserSession.ScreenshotAsync(page, "console-games");

        await env.ReportPlayersAsync("console1", server, (302, "sam"), (303, "kai"));
        await Assertions.Expect(players.Locator("li[data-member='roblox-303']")).ToContainTextAsync("@kai");
        await Assertions.Expect(players.Locator("li[data-member='roblox-301']")).ToHaveCountAsync(0);
        await Assertions.Expect(players.Locator("li")).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task The_inspector_shows_an_event_the_node_sdk_sends_and_sends_its_own_test_event()
    {
        var admin = TestJwt.For("admin-1", "admin", name: "Admin");
        var page = await env.Browser.NewPageAsync();
        await page.GotoAsync(env.Relay.BaseUrl + "/console/inspector#token=" + admin);
        await page.Locator("#watch-channel").FillAsync("private-inspected-1");
        await page.Locator("#watch-channel").PressAsync("Enter");
        await Assertions.Expect(page.Locator("#watching")).ToHaveTextAsync("Watching: private-inspected-1");

        await new PusherNodeBackend(env.Soketi).TriggerAsync("private-inspected-1", "from-node", new { lesson = "fractions" });
        var fromNode = page.Locator("#event-log tr[data-event='from-node']");
        await Assertions.Expect(fromNode).ToContainTextAsync("\"lesson\":\"fractions\"");

        await page.Locator("#send-event").FillAsync("from-console");
        await page.Locator("#send-data").FillAsync("{\"ping\":1}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Assertions.Expect(page.Locator("#event-log tr[data-event='from-console']")).ToContainTextAsync("{\"ping\":1}");
        await BrowserSession.ScreenshotAsync(page, "console-inspector");
    }
}
