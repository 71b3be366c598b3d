using System.Net;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Pairing;

/// <summary><c>GET /api/v1/pairings/{userCode}</c>: the approver sees what asks before deciding (RFC 8628 §5.4).</summary>
public sealed class PairingLookupTests : IDisposable
{
    private readonly AccountsRelay _relay = new();

    [Fact]
    public async Task An_educator_sees_the_place_studio_user_and_plugin_version_behind_a_code()
    {
        var started = await _relay.StartAsync(new { placeId = 123, gameId = "456", studioUserId = 789, pluginVersion = "1.0.0" });
        var code = (string)started["userCode"]!;
        var (status, body) = await _relay.As("teacher-1", "educator").GetJsonAsync("/api/v1/pairings/" + code.ToLowerInvariant().Replace("-", ""));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(code, (string?)body["userCode"]);
        Assert.Equal(123, (long?)body["placeId"]);
        Assert.Equal("456", (string?)body["gameId"]);
        Assert.Equal(789, (long?)body["studioUserId"]);
        Assert.Equal("1.0.0", (string?)body["pluginVersion"]);
        Assert.Equal("pending", (string?)body["status"]);
        Assert.Equal(600, (int?)body["expiresIn"]);
        Assert.NotNull(body["createdAt"]);
        Assert.Null(body["deviceCode"]); // never the plugin's secret

        _relay.Time.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(500, (int?)(await _relay.As("teacher-1", "educator").GetJsonAsync("/api/v1/pairings/" + code)).Body["expiresIn"]);
    }

    [Fact]
    public async Task The_status_follows_the_decision_and_the_exchange()
    {
        var started = await _relay.StartAsync();
        var code = (string)started["userCode"]!;
        var teacher = _relay.As("teacher-1", "educator");
        await _relay.ApproveAsync("teacher-1", code);
        Assert.Equal("approved", (string?)(await teacher.GetJsonAsync("/api/v1/pairings/" + code)).Body["status"]);
        await _relay.PollAsync((string)started["deviceCode"]!);
        Assert.Equal("paired", (string?)(await teacher.GetJsonAsync("/api/v1/pairings/" + code)).Body["status"]);

        var denied = (string)(await _relay.StartAsync())["userCode"]!;
        await _relay.DenyAsync("teacher-1", denied);
        Assert.Equal("denied", (string?)(await teacher.GetJsonAsync("/api/v1/pairings/" + denied)).Body["status"]);
    }

    [Fact]
    public async Task Unknown_and_expired_codes_are_404_problems()
    {
        var teacher = _relay.As("teacher-1", "educator");
        var (unknown, problem) = await teacher.GetJsonAsync("/api/v1/pairings/BCDF-GHJK");
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("not_found", (string?)problem["code"]);

        var code = (string)(await _relay.StartAsync())["userCode"]!;
        _relay.Time.Advance(TimeSpan.FromSeconds(601));
        Assert.Equal(HttpStatusCode.NotFound, (await teacher.GetJsonAsync("/api/v1/pairings/" + code)).Status);
    }

    [Fact]
    public async Task Only_educators_and_admins_may_look_and_malformed_codes_are_400()
    {
        var code = (string)(await _relay.StartAsync())["userCode"]!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.Anonymous().GetJsonAsync("/api/v1/pairings/" + code)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.As("student-1", "student").GetJsonAsync("/api/v1/pairings/" + code)).Status);
        Assert.Equal(HttpStatusCode.OK, (await _relay.As("admin-1", "admin").GetJsonAsync("/api/v1/pairings/" + code)).Status);
        var (bad, problem) = await _relay.As("teacher-1", "educator").GetJsonAsync("/api/v1/pairings/AEIO-UAEI");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Equal("invalid_request", (string?)problem["code"]);
    }

    [Fact]
    public async Task Guessing_codes_by_lookup_hits_the_same_wrong_code_limit_as_approving()
    {
        var code = (string)(await _relay.StartAsync())["userCode"]!;
        var guesser = _relay.As("teacher-9", "educator");
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.NotFound, (await guesser.GetJsonAsync("/api/v1/pairings/BCDF-GHJK")).Status);
        var (limited, problem) = await guesser.GetJsonAsync("/api/v1/pairings/" + code);
        Assert.Equal((HttpStatusCode)429, limited);
        Assert.Equal("rate_limited", (string?)problem["code"]);
        Assert.Equal((HttpStatusCode)429, (await _relay.ApproveAsync("teacher-9", code)).Status);
    }

    public void Dispose() => _relay.Dispose();
}
