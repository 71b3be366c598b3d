using System.Net;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using Realtime.Testing;

namespace Realtime.Relay.Tests;

/// <summary>POST /api/v1/pusher/auth and /user-auth in-process: the policy, the answers' shape and signatures.</summary>
public sealed class PusherAuthEndpointTests : IDisposable
{
    private const string SocketId = "1234.5678";
    private readonly RelayFactory _relay = new();

    private static FormUrlEncodedContent Form(string channel, string socketId = SocketId) =>
        new(new Dictionary<string, string> { ["socket_id"] = socketId, ["channel_name"] = channel });

    // Computed here from the definition, not through the library under test.
    private static string ExpectedAuth(string toSign) =>
        "app-key:" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("app-secret"), Encoding.UTF8.GetBytes(toSign)));

    [Theory]
    [InlineData("student", "presence-game-42", null)]
    [InlineData("educator", "private-user-u1", null)]
    [InlineData("student", "private-class-c7", "c7")]
    [InlineData("student", "presence-classroom-c7", "c7")]
    [InlineData("admin", "private-plugin-p1", null)]
    // Admins watch any channel in the console's Inspector.
    [InlineData("admin", "private-something-else", null)]
    [InlineData("admin", "presence-classroom-c9", null)]
    public async Task Allowed_channels_get_a_signature_pusher_accepts(string role, string channel, string? klass)
    {
        var client = _relay.ClientAs("u1", role, klass is null ? null : [klass]);
        var res = await client.PostAsync("/api/v1/pusher/auth", Form(channel));
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.OK, body);
        var json = JObject.Parse(body);
        if (channel.StartsWith("presence-"))
        {
            var channelData = (string)json["channel_data"]!;
            Assert.Equal("u1", (string?)JObject.Parse(channelData)["user_id"]);
            Assert.Equal(ExpectedAuth($"{SocketId}:{channel}:{channelData}"), (string?)json["auth"]);
        }
        else
        {
            Assert.Null(json["channel_data"]);
            Assert.Equal(ExpectedAuth($"{SocketId}:{channel}"), (string?)json["auth"]);
        }
    }

    [Theory]
    [InlineData("educator", "private-user-someone-else", null)]
    [InlineData("educator", "private-plugin-p1", null)] // p1 is no plugin this user owns
    [InlineData("student", "private-class-c8", "c7")]
    [InlineData("student", "presence-classroom-c8", "c7")]
    [InlineData("educator", "private-something-else", null)]
    [InlineData("admin", "private-encrypted-x", null)]
    [InlineData("educator", "roblox-sync", null)]
    public async Task Channels_the_policy_does_not_allow_are_403_with_a_reason(string role, string channel, string? klass)
    {
        var client = _relay.ClientAs("u1", role, klass is null ? null : [klass]);
        var res = await client.PostAsync("/api/v1/pusher/auth", Form(channel));
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        var json = JObject.Parse(await res.Content.ReadAsStringAsync());
        Assert.Equal("forbidden", (string?)json["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)json["detail"]));
    }

    [Fact]
    public async Task Json_bodies_are_accepted_as_well_as_forms()
    {
        var client = _relay.ClientAs("u1", "student");
        var res = await client.PostAsync("/api/v1/pusher/auth",
            new StringContent("{\"socket_id\":\"1.2\",\"channel_name\":\"presence-game-1\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
    }

    [Theory]
    [InlineData("12345", "presence-game-1", "socket_id")]
    [InlineData("1.2", "presence-game-1#", "channel_name")]
    [InlineData("", "presence-game-1", "socket_id")]
    [InlineData("1.2", "", "channel_name")]
    public async Task Malformed_input_is_400_naming_the_field(string socketId, string channel, string field)
    {
        var client = _relay.ClientAs("u1", "student");
        var res = await client.PostAsync("/api/v1/pusher/auth", Form(channel, socketId));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        var json = JObject.Parse(await res.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request", (string?)json["code"]);
        Assert.NotNull(json["errors"]![field]);
    }

    [Fact]
    public async Task Broken_json_is_400_not_500()
    {
        var client = _relay.ClientAs("u1", "student");
        var res = await client.PostAsync("/api/v1/pusher/auth", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
    }

    [Fact]
    public async Task Without_a_jwt_the_answer_is_401_problem()
    {
        var res = await _relay.CreateClient().PostAsync("/api/v1/pusher/auth", Form("presence-game-1"));
        Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
        Assert.Equal("unauthorized", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["code"]);
    }

    [Theory]
    [InlineData("wrong-secret-wrong-secret-wrong-secret-123", "student", 0)]
    [InlineData(TestJwt.Secret, "student", -2)] // expired two hours ago
    [InlineData(TestJwt.Secret, "superuser", 1)] // not a platform role
    public async Task Invalid_jwts_are_refused(string secret, string role, int expiresInHours)
    {
        var client = _relay.CreateClient();
        var token = TestJwt.For("u1", role, secret: secret, expires: DateTimeOffset.UtcNow.AddHours(expiresInHours == 0 ? 1 : expiresInHours));
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var res = await client.PostAsync("/api/v1/pusher/auth", Form("presence-game-1"));
        Assert.Contains(res.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden });
    }

    [Fact]
    public async Task User_auth_signs_the_users_id_and_name()
    {
        var client = _relay.ClientAs("u9", "educator");
        var res = await client.PostAsync("/api/v1/pusher/user-auth",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["socket_id"] = SocketId }));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var json = JObject.Parse(await res.Content.ReadAsStringAsync());
        var userData = (string)json["user_data"]!;
        Assert.Equal("u9", (string?)JObject.Parse(userData)["id"]);
        Assert.Equal(ExpectedAuth($"{SocketId}::user::{userData}"), (string?)json["auth"]);
    }

    [Fact]
    public async Task With_pusher_disabled_auth_answers_503()
    {
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["PUSHER_ENABLED"] = "false" });
        var client = relay.ClientAs("u1", "student");
        var res = await client.PostAsync("/api/v1/pusher/auth", Form("presence-game-1"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, res.StatusCode);
    }

    public void Dispose() => _relay.Dispose();
}
