using System.Net;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Pairing;

/// <summary>GET /api/v1/plugins and DELETE /api/v1/plugins/{pluginId}: who sees and who may revoke.</summary>
public sealed class PluginsTests : IDisposable
{
    private readonly AccountsRelay _relay = new();

    private async Task<JArray> ListAsync(string sub, string role)
    {
        var (status, body) = await _relay.As(sub, role).GetJsonAsync("/api/v1/plugins");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        return (JArray)body["plugins"]!;
    }

    [Fact]
    public async Task An_educator_lists_their_own_plugins_with_where_they_were_paired()
    {
        await _relay.CreateGameAsync("456", "teacher-1");
        var (mine, _) = await _relay.PairAsync("teacher-1", gameId: "456");
        await _relay.PairAsync("teacher-2");

        var plugin = Assert.Single(await ListAsync("teacher-1", "educator"));
        Assert.Equal(mine, (string?)plugin["pluginId"]);
        Assert.Equal("private-plugin-" + mine, (string?)plugin["channel"]);
        Assert.Equal("teacher-1", (string?)plugin["ownerId"]);
        Assert.Equal(123, (long?)plugin["placeId"]);
        Assert.Equal("456", (string?)plugin["gameId"]);
        Assert.Equal(789, (long?)plugin["studioUserId"]);
        Assert.Equal("1.0.0", (string?)plugin["pluginVersion"]);
        Assert.Equal(_relay.Time.GetUtcNow().UtcDateTime, (DateTime)plugin["createdAt"]!);
    }

    [Fact]
    public async Task An_admin_lists_every_plugin_and_a_student_none()
    {
        await _relay.PairAsync("teacher-1");
        await _relay.PairAsync("teacher-2");
        Assert.Equal(2, (await ListAsync("admin-1", "admin")).Count);
        Assert.Empty(await ListAsync("student-1", "student"));
    }

    [Fact]
    public async Task Listing_needs_a_platform_jwt_not_a_plugin_token()
    {
        var (_, token) = await _relay.PairAsync("teacher-1");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.Anonymous().GetAsync("/api/v1/plugins")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken(token).GetAsync("/api/v1/plugins")).StatusCode);
    }

    [Theory]
    [InlineData("owner")]
    [InlineData("admin")]
    [InlineData("own-token")]
    public async Task A_plugin_is_revoked_by_its_owner_an_admin_or_its_own_token_and_its_token_then_gets_401(string by)
    {
        var (pluginId, token) = await _relay.PairAsync("teacher-1");
        var caller = by switch
        {
            "owner" => _relay.As("teacher-1", "educator"),
            "admin" => _relay.As("admin-1", "admin"),
            _ => _relay.WithToken(token),
        };
        var res = await caller.DeleteAsync("/api/v1/plugins/" + pluginId);
        Assert.Equal(HttpStatusCode.NoContent, res.StatusCode);

        var close = _relay.Inbox.Snapshot().Last();
        Assert.Equal(("close", new RelayClient(ClientKind.Plugin, pluginId, null), "revoked"), close);
        Assert.Empty(await ListAsync("teacher-1", "educator"));

        var after = await _relay.WithToken(token).DeleteAsync("/api/v1/plugins/" + pluginId);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("unauthorized", (string?)(await Http.ReadAsync(after))["code"]);
        Assert.Equal(HttpStatusCode.NotFound, (await _relay.As("admin-1", "admin").DeleteAsync("/api/v1/plugins/" + pluginId)).StatusCode);
    }

    [Fact]
    public async Task A_token_that_was_just_used_gets_401_on_its_next_request_once_its_plugin_is_revoked()
    {
        var (pluginId, token) = await _relay.PairAsync("teacher-1");
        var events = $"/api/v1/plugins/{pluginId}/events?wait=0";
        Assert.Equal(HttpStatusCode.OK, (await _relay.WithToken(token).GetAsync(events)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _relay.As("teacher-1", "educator").DeleteAsync("/api/v1/plugins/" + pluginId)).StatusCode);

        var after = await _relay.WithToken(token).GetAsync(events);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("unauthorized", (string?)(await Http.ReadAsync(after))["code"]);
    }

    [Fact]
    public async Task Another_educator_a_student_and_another_plugins_token_are_refused()
    {
        var (pluginId, _) = await _relay.PairAsync("teacher-1");
        var (_, otherToken) = await _relay.PairAsync("teacher-2");

        foreach (var caller in new[] { _relay.As("teacher-2", "educator"), _relay.As("student-1", "student"), _relay.WithToken(otherToken) })
        {
            var res = await caller.DeleteAsync("/api/v1/plugins/" + pluginId);
            Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
            Assert.Equal("forbidden", (string?)(await Http.ReadAsync(res))["code"]);
        }
        Assert.Single(await ListAsync("teacher-1", "educator"));
        Assert.DoesNotContain(_relay.Inbox.Snapshot(), c => c.Action == "close");
    }

    [Fact]
    public async Task Revoking_without_credentials_or_with_a_bad_one_is_401_and_an_unknown_plugin_404()
    {
        var (pluginId, _) = await _relay.PairAsync("teacher-1");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.Anonymous().DeleteAsync("/api/v1/plugins/" + pluginId)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken("rbp_made-up").DeleteAsync("/api/v1/plugins/" + pluginId)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _relay.WithToken("a.b.c").DeleteAsync("/api/v1/plugins/" + pluginId)).StatusCode);
        var unknown = await _relay.As("teacher-1", "educator").DeleteAsync("/api/v1/plugins/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found", (string?)(await Http.ReadAsync(unknown))["code"]);
    }

    [Fact]
    public async Task After_revocation_the_owner_may_no_longer_authorize_the_plugin_channel()
    {
        var (pluginId, _) = await _relay.PairAsync("teacher-1");
        FormUrlEncodedContent Form() => new(new Dictionary<string, string> { ["socket_id"] = "1.2", ["channel_name"] = "private-plugin-" + pluginId });
        Assert.Equal(HttpStatusCode.OK, (await _relay.As("teacher-1", "educator").PostAsync("/api/v1/pusher/auth", Form())).StatusCode);
        await _relay.As("teacher-1", "educator").DeleteAsync("/api/v1/plugins/" + pluginId);
        Assert.Equal(HttpStatusCode.Forbidden, (await _relay.As("teacher-1", "educator").PostAsync("/api/v1/pusher/auth", Form())).StatusCode);
    }

    [Fact]
    public async Task Plugin_tokens_are_stored_only_as_hashes()
    {
        var (_, token) = await _relay.PairAsync("teacher-1");
        Assert.DoesNotContain(token, _relay.DatabaseText());
        Assert.DoesNotContain(token, _relay.DatabaseFileText());
    }

    public void Dispose() => _relay.Dispose();
}
