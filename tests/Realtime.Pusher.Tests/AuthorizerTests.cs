using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Validation;
using Realtime.Pusher.Webhooks;

namespace Realtime.Pusher.Tests;

public class AuthorizerTests
{
    private const string Key = "app-key";
    private const string Secret = "app-secret";
    private readonly PusherAuthorizer _auth = new(Key, Secret);

    [Fact]
    public void Presence_auth_signs_socket_channel_and_the_exact_channel_data_string()
    {
        var result = _auth.AuthorizePresenceChannel("123.456", "presence-room", "u-1", new { name = "Zoë 😀", level = 3 });

        Assert.Equal("{\"user_id\":\"u-1\",\"user_info\":{\"name\":\"Zoë 😀\",\"level\":3}}", result.ChannelData);
        Assert.Equal(Key + ":" + PusherSignature.Sign(Secret, "123.456:presence-room:" + result.ChannelData), result.Auth);
    }

    [Fact]
    public void Presence_auth_without_user_info_leaves_it_out()
    {
        Assert.Equal("{\"user_id\":\"u-1\"}", _auth.AuthorizePresenceChannel("1.2", "presence-x", "u-1").ChannelData);
    }

    [Fact]
    public void Auth_results_serialize_to_what_pusher_js_expects_with_both_json_libraries()
    {
        var priv = _auth.AuthorizePrivateChannel("1.2", "private-x");
        var presence = _auth.AuthorizePresenceChannel("1.2", "presence-x", "u");
        var user = _auth.AuthenticateUser("1.2", new PusherUser { Id = "u" });

        foreach (var (value, json) in new (object, string)[] { (priv, priv.ToJson()), (presence, presence.ToJson()), (user, user.ToJson()) })
        {
            Assert.Equal(json, JsonConvert.SerializeObject(value));
            // System.Text.Json escapes quotes as \u0022: different bytes, same JSON.
            Assert.True(JToken.DeepEquals(JToken.Parse(json), JToken.Parse(System.Text.Json.JsonSerializer.Serialize(value, value.GetType()))));
        }
        Assert.Equal(["auth"], JObject.Parse(priv.ToJson()).Properties().Select(p => p.Name));
        Assert.Equal(["auth", "channel_data"], JObject.Parse(presence.ToJson()).Properties().Select(p => p.Name));
        Assert.Equal(JTokenType.String, JObject.Parse(presence.ToJson())["channel_data"]!.Type);
        Assert.Equal(["auth", "user_data"], JObject.Parse(user.ToJson()).Properties().Select(p => p.Name));
    }

    [Fact]
    public void User_auth_signs_socket_user_and_the_exact_user_data_string()
    {
        var result = _auth.AuthenticateUser("55.66", new PusherUser { Id = "42", UserInfo = new { name = "Ann" }, Watchlist = ["7", "8"] });

        Assert.Equal("{\"id\":\"42\",\"user_info\":{\"name\":\"Ann\"},\"watchlist\":[\"7\",\"8\"]}", result.UserData);
        Assert.Equal(Key + ":" + PusherSignature.Sign(Secret, "55.66::user::" + result.UserData), result.Auth);
    }

    [Theory]
    [InlineData("{\"name\":\"no id\"}")]
    [InlineData("{\"id\":\"\"}")]
    [InlineData("{\"id\":42}")]
    [InlineData("[1]")]
    public void User_auth_requires_a_non_empty_string_id(string userData)
    {
        var e = Assert.Throws<PusherValidationException>(() => _auth.AuthenticateUser("1.2", (object)JToken.Parse(userData)));
        Assert.Equal(PusherLimits.UserIdLimit, e.Limit);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("")]
    public void Every_auth_rejects_a_bad_socket_id(string socketId)
    {
        Assert.Throws<PusherValidationException>(() => _auth.AuthorizePrivateChannel(socketId, "private-x"));
        Assert.Throws<PusherValidationException>(() => _auth.AuthorizePresenceChannel(socketId, "presence-x", "u"));
        Assert.Throws<PusherValidationException>(() => _auth.AuthenticateUser(socketId, new PusherUser { Id = "u" }));
    }

    [Fact]
    public void Channel_auth_rejects_bad_names_wrong_types_and_encrypted_channels()
    {
        Assert.Equal(PusherLimits.ChannelNameLimit,
            Assert.Throws<PusherValidationException>(() => _auth.AuthorizePrivateChannel("1.2", "private-bad name")).Limit);
        Assert.Equal(PusherLimits.ChannelTypeLimit,
            Assert.Throws<PusherValidationException>(() => _auth.AuthorizePrivateChannel("1.2", "presence-x")).Limit);
        Assert.Equal(PusherLimits.ChannelTypeLimit,
            Assert.Throws<PusherValidationException>(() => _auth.AuthorizePresenceChannel("1.2", "private-x", "u")).Limit);
        Assert.Throws<PusherValidationException>(() => _auth.AuthorizePresenceChannel("1.2", "presence-x", ""));
        Assert.Throws<PusherValidationException>(() => _auth.AuthorizeChannel("1.2", "presence-x"));
        Assert.Throws<NotSupportedException>(() => _auth.AuthorizePrivateChannel("1.2", "private-encrypted-x"));
    }

    // ---------------------------------------------------------------- webhooks

    private const string HookBody = "{\"time_ms\":1700000000123,\"events\":[" +
        "{\"name\":\"channel_occupied\",\"channel\":\"private-a\"}," +
        "{\"name\":\"member_added\",\"channel\":\"presence-b\",\"user_id\":\"u1\"}," +
        "{\"name\":\"client_event\",\"channel\":\"private-a\",\"event\":\"client-x\",\"data\":\"{\\\"k\\\":1}\",\"socket_id\":\"1.2\"}," +
        "{\"name\":\"subscription_count\",\"channel\":\"c\",\"subscription_count\":4}]}";

    [Fact]
    public void A_correctly_signed_webhook_verifies_and_its_events_are_parsed()
    {
        var result = _auth.VerifyWebhook(Key, PusherSignature.Sign(Secret, HookBody), HookBody);

        Assert.True(result.IsValid, result.Error);
        Assert.Equal(WebhookFailure.None, result.Failure);
        var hook = result.Webhook!;
        Assert.Equal(1700000000123, hook.TimeMs);
        Assert.Equal(["channel_occupied", "member_added", "client_event", "subscription_count"], hook.Events.Select(e => e.Name));
        Assert.Equal("u1", hook.Events[1].UserId);
        Assert.Equal("client-x", hook.Events[2].Event);
        Assert.Equal("{\"k\":1}", hook.Events[2].Data);
        Assert.Equal("1.2", hook.Events[2].SocketId);
        Assert.Equal(4, hook.Events[3].SubscriptionCount);
    }

    [Fact]
    public void Webhook_signature_check_accepts_uppercase_hex()
    {
        Assert.True(_auth.VerifyWebhook(Key, PusherSignature.Sign(Secret, HookBody).ToUpperInvariant(), HookBody).IsValid);
    }

    [Theory]
    [InlineData(null, "sig", WebhookFailure.MissingKey)]
    [InlineData("other-key", "sig", WebhookFailure.UnknownKey)]
    [InlineData(Key, null, WebhookFailure.MissingSignature)]
    [InlineData(Key, "", WebhookFailure.MissingSignature)]
    [InlineData(Key, "deadbeef", WebhookFailure.InvalidSignature)]
    public void A_webhook_with_bad_headers_fails_with_the_reason(string? key, string? signature, WebhookFailure failure)
    {
        var result = _auth.VerifyWebhook(key, signature, HookBody);
        Assert.False(result.IsValid);
        Assert.Equal(failure, result.Failure);
        Assert.Null(result.Webhook);
        Assert.False(string.IsNullOrEmpty(result.Error));
    }

    [Fact]
    public void A_webhook_whose_body_was_changed_fails()
    {
        var signature = PusherSignature.Sign(Secret, HookBody);
        var result = _auth.VerifyWebhook(Key, signature, HookBody.Replace("u1", "u2"));
        Assert.Equal(WebhookFailure.InvalidSignature, result.Failure);
    }

    [Fact]
    public void A_webhook_signed_with_another_secret_fails()
    {
        var result = _auth.VerifyWebhook(Key, PusherSignature.Sign("wrong-secret", HookBody), HookBody);
        Assert.Equal(WebhookFailure.InvalidSignature, result.Failure);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"events\":[]}")]
    [InlineData("{\"time_ms\":1,\"events\":[{\"channel\":\"x\"}]}")]
    public void A_correctly_signed_but_malformed_webhook_fails_as_invalid_body(string body)
    {
        var result = _auth.VerifyWebhook(Key, PusherSignature.Sign(Secret, body), body);
        Assert.Equal(WebhookFailure.InvalidBody, result.Failure);
        Assert.Contains("not a valid Pusher webhook", result.Error);
    }
}
