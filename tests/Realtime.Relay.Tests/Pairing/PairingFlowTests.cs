using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Storage;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Pairing;

/// <summary>The device flow of docs/api.md "Pairing a Studio plugin" (RFC 8628), in-process with a fake clock.</summary>
public sealed class PairingFlowTests : IDisposable
{
    private readonly AccountsRelay _relay = new();

    [Fact]
    public async Task Start_answers_a_device_code_a_user_code_to_show_and_the_polling_terms()
    {
        var started = await _relay.StartAsync();
        Assert.Matches("^rbd_[A-Za-z0-9_-]{43}$", (string)started["deviceCode"]!);
        Assert.Matches("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$", (string)started["userCode"]!);
        Assert.Equal(600, (int)started["expiresIn"]!);
        Assert.Equal(5, (int)started["interval"]!);
        Assert.Equal("http://localhost/console/pair", (string)started["verificationUri"]!);
        Assert.Equal("http://localhost/console/pair?code=" + started["userCode"], (string)started["verificationUriComplete"]!);
    }

    [Fact]
    public async Task Verification_uri_uses_the_public_url_when_one_is_set()
    {
        using var relay = new AccountsRelay(new Dictionary<string, string?> { ["RELAY_PUBLIC_URL"] = "https://relay.example.org/base/" });
        var started = await relay.StartAsync();
        Assert.Equal("https://relay.example.org/base/console/pair", (string)started["verificationUri"]!);
    }

    [Fact]
    public async Task Start_accepts_an_empty_object_and_no_body_at_all()
    {
        var (status, _, _) = await _relay.Anonymous().PostJsonAsync("/api/v1/pairings", new { });
        Assert.Equal(HttpStatusCode.Created, status);
        var res = await _relay.Anonymous().PostAsync("/api/v1/pairings", new StringContent("", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
    }

    [Fact]
    public async Task Pairing_end_to_end_pending_then_approved_then_one_token_and_a_second_exchange_is_refused()
    {
        var started = await _relay.StartAsync();
        var deviceCode = (string)started["deviceCode"]!;

        var (pending, body, _) = await _relay.PollAsync(deviceCode);
        Assert.Equal(HttpStatusCode.BadRequest, pending);
        Assert.Equal("authorization_pending", (string?)body["code"]);

        var (approved, approval, _) = await _relay.ApproveAsync("teacher-1", (string)started["userCode"]!);
        Assert.Equal(HttpStatusCode.OK, approved);
        var pluginId = (string)approval["pluginId"]!;
        Assert.Matches("^[a-z0-9]+$", pluginId);
        Assert.Equal("private-plugin-" + pluginId, (string?)approval["channel"]);

        _relay.Time.Advance(TimeSpan.FromSeconds(5));
        var (ok, grant, _) = await _relay.PollAsync(deviceCode);
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.StartsWith("rbp_", (string)grant["accessToken"]!);
        Assert.Equal(pluginId, (string?)grant["pluginId"]);
        Assert.Equal("private-plugin-" + pluginId, (string?)grant["channel"]);

        var open = Assert.Single(_relay.Inbox.Snapshot());
        Assert.Equal(("open", new RelayClient(ClientKind.Plugin, pluginId, null), (string?)null), open);

        _relay.Time.Advance(TimeSpan.FromSeconds(5));
        var (again, refused, _) = await _relay.PollAsync(deviceCode);
        Assert.Equal(HttpStatusCode.BadRequest, again);
        Assert.Equal("expired_token", (string?)refused["code"]);
        Assert.Single(_relay.Inbox.Snapshot()); // no second plugin, no second inbox
    }

    [Fact]
    public async Task The_issued_token_authenticates_as_the_plugin()
    {
        var (pluginId, token) = await _relay.PairAsync("teacher-1");
        // Its own plugin: allowed (204). A revoked token would be 401 and another plugin's 403.
        var res = await _relay.WithToken(token).DeleteAsync("/api/v1/plugins/" + pluginId);
        Assert.Equal(HttpStatusCode.NoContent, res.StatusCode);
    }

    [Fact]
    public async Task A_code_not_approved_within_ten_minutes_expires()
    {
        var started = await _relay.StartAsync();
        _relay.Time.Advance(TimeSpan.FromSeconds(600));
        var (status, body, _) = await _relay.PollAsync((string)started["deviceCode"]!);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("expired_token", (string?)body["code"]);

        var (approve, refusal, _) = await _relay.ApproveAsync("teacher-1", (string)started["userCode"]!);
        Assert.Equal(HttpStatusCode.BadRequest, approve);
        Assert.Equal("expired_token", (string?)refusal["code"]);
    }

    [Fact]
    public async Task An_approved_code_not_exchanged_before_expiry_expires_too()
    {
        var started = await _relay.StartAsync();
        await _relay.ApproveAsync("teacher-1", (string)started["userCode"]!);
        _relay.Time.Advance(TimeSpan.FromMinutes(11));
        var (status, body, _) = await _relay.PollAsync((string)started["deviceCode"]!);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("expired_token", (string?)body["code"]);
        Assert.Empty(_relay.Inbox.Snapshot());
    }

    [Fact]
    public async Task An_unknown_device_code_is_expired_token()
    {
        var (status, body, _) = await _relay.PollAsync("rbd_" + new string('A', 43));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("expired_token", (string?)body["code"]);
    }

    [Fact]
    public async Task A_denied_pairing_answers_access_denied_and_cannot_then_be_approved()
    {
        var started = await _relay.StartAsync();
        var userCode = (string)started["userCode"]!;
        var (denied, _, _) = await _relay.DenyAsync("teacher-1", userCode);
        Assert.Equal(HttpStatusCode.NoContent, denied);

        var (status, body, _) = await _relay.PollAsync((string)started["deviceCode"]!);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("access_denied", (string?)body["code"]);

        var (approve, conflict, _) = await _relay.ApproveAsync("teacher-2", userCode);
        Assert.Equal(HttpStatusCode.Conflict, approve);
        Assert.Equal("already_decided", (string?)conflict["code"]);
        Assert.Empty(_relay.Inbox.Snapshot());
    }

    [Fact]
    public async Task An_approved_code_cannot_be_approved_by_someone_else_or_denied()
    {
        var started = await _relay.StartAsync();
        var userCode = (string)started["userCode"]!;
        var (_, first, _) = await _relay.ApproveAsync("teacher-1", userCode);

        var (again, same, _) = await _relay.ApproveAsync("teacher-1", userCode);
        Assert.Equal(HttpStatusCode.OK, again); // the same approver repeating (double click) gets the same answer
        Assert.Equal((string?)first["pluginId"], (string?)same["pluginId"]);

        var (other, conflict, _) = await _relay.ApproveAsync("teacher-2", userCode);
        Assert.Equal(HttpStatusCode.Conflict, other);
        Assert.Equal("already_decided", (string?)conflict["code"]);
        var (deny, denyConflict, _) = await _relay.DenyAsync("teacher-1", userCode);
        Assert.Equal(HttpStatusCode.Conflict, deny);
        Assert.Equal("already_decided", (string?)denyConflict["code"]);
    }

    [Fact]
    public async Task Polling_faster_than_the_interval_is_slow_down_and_each_one_adds_five_seconds()
    {
        var deviceCode = (string)(await _relay.StartAsync())["deviceCode"]!;
        Assert.Equal("authorization_pending", (string?)(await _relay.PollAsync(deviceCode)).Body["code"]);

        var (status, fast, _) = await _relay.PollAsync(deviceCode); // at once
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("slow_down", (string?)fast["code"]);
        Assert.Equal(10, (int?)fast["interval"]);

        _relay.Time.Advance(TimeSpan.FromSeconds(6)); // slower than 5 s, faster than the new 10 s
        var again = (await _relay.PollAsync(deviceCode)).Body;
        Assert.Equal("slow_down", (string?)again["code"]);
        Assert.Equal(15, (int?)again["interval"]);

        _relay.Time.Advance(TimeSpan.FromSeconds(15));
        var pending = (await _relay.PollAsync(deviceCode)).Body;
        Assert.Equal("authorization_pending", (string?)pending["code"]);
        Assert.Equal(15, (int?)pending["interval"]);
    }

    [Fact]
    public async Task Polling_at_the_interval_with_a_little_jitter_is_never_slow_down()
    {
        var deviceCode = (string)(await _relay.StartAsync())["deviceCode"]!;
        foreach (var gap in new[] { 0.0, 5.0, 4.5, 5.2, 4.1 })
        {
            _relay.Time.Advance(TimeSpan.FromSeconds(gap));
            Assert.Equal("authorization_pending", (string?)(await _relay.PollAsync(deviceCode)).Body["code"]);
        }
    }

    [Fact]
    public async Task Slow_down_does_not_hold_back_an_approved_token()
    {
        var started = await _relay.StartAsync();
        var deviceCode = (string)started["deviceCode"]!;
        await _relay.PollAsync(deviceCode);
        await _relay.ApproveAsync("teacher-1", (string)started["userCode"]!);
        var (status, _, _) = await _relay.PollAsync(deviceCode); // too soon, but approved
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("lower")]
    [InlineData("nodash")]
    [InlineData("spaces")]
    public async Task User_codes_are_accepted_with_or_without_the_dash_in_any_case(string form)
    {
        var shown = (string)(await _relay.StartAsync())["userCode"]!;
        var typed = form switch
        {
            "lower" => shown.ToLowerInvariant(),
            "nodash" => shown.Replace("-", ""),
            _ => " " + shown.Replace("-", " ") + " ",
        };
        var (status, body, _) = await _relay.ApproveAsync("teacher-1", typed);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    [Fact]
    public async Task A_wrong_code_is_404_and_after_five_the_user_is_rate_limited_even_for_a_right_code()
    {
        var userCode = (string)(await _relay.StartAsync())["userCode"]!;
        var wrong = userCode == "BBBB-BBBB" ? "CCCC-CCCC" : "BBBB-BBBB";
        for (var i = 0; i < 5; i++)
        {
            var (status, body, _) = await _relay.ApproveAsync("guesser", wrong);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("not_found", (string?)body["code"]);
        }

        var (limited, problem, res) = await _relay.ApproveAsync("guesser", userCode);
        Assert.Equal((HttpStatusCode)429, limited);
        Assert.Equal("rate_limited", (string?)problem["code"]);
        Assert.Equal(600, (int)res.Headers.RetryAfter!.Delta!.Value.TotalSeconds);

        var (denyLimited, _, _) = await _relay.DenyAsync("guesser", userCode);
        Assert.Equal((HttpStatusCode)429, denyLimited);

        // Other users are not affected; the guesser is let back after the window.
        var (other, _, _) = await _relay.ApproveAsync("someone-else", wrong);
        Assert.Equal(HttpStatusCode.NotFound, other);
        _relay.Time.Advance(TimeSpan.FromMinutes(9));
        var fresh = (string)(await _relay.StartAsync())["userCode"]!;
        Assert.Equal((HttpStatusCode)429, (await _relay.ApproveAsync("guesser", fresh)).Status);
        _relay.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await _relay.ApproveAsync("guesser", fresh)).Status);
    }

    [Fact]
    public async Task A_student_cannot_approve_or_deny_and_anonymous_callers_are_401()
    {
        var userCode = (string)(await _relay.StartAsync())["userCode"]!;
        var (approve, body, _) = await _relay.ApproveAsync("student-1", userCode, "student");
        Assert.Equal(HttpStatusCode.Forbidden, approve);
        Assert.Equal("forbidden", (string?)body["code"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.DenyAsync("student-1", userCode, "student")).Status);

        var (anonymous, problem, _) = await _relay.Anonymous().PostJsonAsync("/api/v1/pairings/approve", new { userCode });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
        Assert.Equal("unauthorized", (string?)problem["code"]);

        var (admin, _, _) = await _relay.ApproveAsync("admin-1", userCode, "admin");
        Assert.Equal(HttpStatusCode.OK, admin);
    }

    [Fact]
    public async Task Starts_are_limited_per_address()
    {
        for (var i = 0; i < 10; i++) await _relay.StartAsync();
        var (status, body, res) = await _relay.Anonymous().PostJsonAsync("/api/v1/pairings", new { });
        Assert.Equal((HttpStatusCode)429, status);
        Assert.Equal("rate_limited", (string?)body["code"]);
        Assert.NotNull(res.Headers.RetryAfter?.Delta);
        _relay.Time.Advance(TimeSpan.FromMinutes(1));
        await _relay.StartAsync();
    }

    [Fact]
    public async Task Device_codes_are_stored_only_as_hashes()
    {
        var started = await _relay.StartAsync();
        var deviceCode = (string)started["deviceCode"]!;
        Assert.DoesNotContain(deviceCode, _relay.DatabaseText());
        Assert.Contains(ClientTokens.Hash(deviceCode), _relay.DatabaseText());
        Assert.DoesNotContain(deviceCode, _relay.DatabaseFileText());
    }

    [Fact]
    public async Task The_approver_may_authorize_the_plugin_channel_on_pusher_auth_from_approval_on()
    {
        var started = await _relay.StartAsync();
        var pluginId = (string)(await _relay.ApproveAsync("teacher-1", (string)started["userCode"]!)).Body["pluginId"]!;
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["socket_id"] = "1.2", ["channel_name"] = "private-plugin-" + pluginId });
        Assert.Equal(HttpStatusCode.OK, (await _relay.As("teacher-1", "educator").PostAsync("/api/v1/pusher/auth", form)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.As("teacher-2", "educator").PostAsync("/api/v1/pusher/auth", form)).StatusCode);

        await _relay.PollAsync((string)started["deviceCode"]!);
        Assert.Equal(HttpStatusCode.OK, (await _relay.As("teacher-1", "educator").PostAsync("/api/v1/pusher/auth", form)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.As("teacher-2", "educator").PostAsync("/api/v1/pusher/auth", form)).StatusCode);
    }

    [Fact]
    public async Task If_storage_fails_the_exchange_keeps_nothing_and_the_next_poll_succeeds()
    {
        var started = await _relay.StartAsync();
        await _relay.ApproveAsync("teacher-1", (string)started["userCode"]!);
        // As the writer does when the disk fails; the writer's probe is not running, so it stays down until the test says.
        var db = _relay.Factory.Services.GetRequiredService<RelayDatabase>();
        db.MarkUnavailable("disk full");
        var (failed, problem, _) = await _relay.PollAsync((string)started["deviceCode"]!);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed); // a disk failure is the relay's storage, not a bug
        Assert.Equal("storage_unavailable", (string?)problem["code"]);
        Assert.Empty((await _relay.As("teacher-1", "educator").GetJsonAsync("/api/v1/plugins")).Body["plugins"]!);

        Assert.Empty(_relay.Inbox.Snapshot());

        db.MarkAvailable();
        _relay.Time.Advance(TimeSpan.FromSeconds(5));
        var (ok, grant, _) = await _relay.PollAsync((string)started["deviceCode"]!);
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Single((await _relay.As("teacher-1", "educator").GetJsonAsync("/api/v1/plugins")).Body["plugins"]!);
        Assert.NotNull(grant["accessToken"]);
    }

    public void Dispose() => _relay.Dispose();
}
