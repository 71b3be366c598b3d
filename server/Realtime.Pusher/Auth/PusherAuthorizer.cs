using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Json;
using Realtime.Pusher.Validation;
using Realtime.Pusher.Webhooks;

namespace Realtime.Pusher.Auth;

/// <summary>
/// Signs what a Pusher client asks the backend to sign, and verifies what Pusher sends
/// the backend: private and presence channel authorization, user authentication for
/// <c>pusher:signin</c>, and webhooks. Thread-safe; keep one per app.
/// Output matches the official Node SDK (<c>pusher</c> 5.x) byte for byte.
/// </summary>
public sealed class PusherAuthorizer
{
    private readonly string _secret;

    public PusherAuthorizer(PusherOptions options) : this(options.Key, options.Secret) { }

    public PusherAuthorizer(string key, string secret)
    {
        if (string.IsNullOrEmpty(key)) throw new ArgumentException("The Pusher app key must not be empty", nameof(key));
        if (string.IsNullOrEmpty(secret)) throw new ArgumentException("The Pusher app secret must not be empty", nameof(secret));
        Key = key;
        _secret = secret;
    }

    public string Key { get; }

    /// <summary>Authorizes a <c>private-</c> channel: <c>{"auth":"key:HMAC(secret, socket_id:channel)"}</c>.</summary>
    public ChannelAuthorization AuthorizePrivateChannel(string socketId, string channel)
    {
        if (!channel.StartsWith("private-", StringComparison.Ordinal))
            throw new PusherValidationException(PusherLimits.ChannelTypeLimit,
                $"'{channel}' is not a private channel (private channel names start with 'private-')", nameof(channel));
        return AuthorizeChannel(socketId, channel);
    }

    /// <summary>
    /// Authorizes a <c>presence-</c> channel. <c>channel_data</c> is
    /// <c>{"user_id":…,"user_info":…}</c> (user_info left out when null), and the
    /// signature covers <c>socket_id:channel:channel_data</c>.
    /// </summary>
    public ChannelAuthorization AuthorizePresenceChannel(string socketId, string channel, string userId, object? userInfo = null)
    {
        if (!channel.StartsWith("presence-", StringComparison.Ordinal))
            throw new PusherValidationException(PusherLimits.ChannelTypeLimit,
                $"'{channel}' is not a presence channel (presence channel names start with 'presence-')", nameof(channel));
        PusherLimits.ValidateUserId(userId);
        var data = new JObject { ["user_id"] = userId };
        if (userInfo is not null) data["user_info"] = userInfo is JToken t ? t : JToken.FromObject(userInfo);
        return AuthorizeChannel(socketId, channel, data);
    }

    /// <summary>
    /// The general form (what the Node SDK's <c>authorizeChannel</c> does): signs
    /// <c>socket_id:channel</c>, or <c>socket_id:channel:channel_data</c> when channel data is given
    /// (serialized as JSON.stringify would). Presence channels require channel data with a <c>user_id</c>.
    /// End-to-end encrypted channels (<c>private-encrypted-</c>) are not supported.
    /// </summary>
    public ChannelAuthorization AuthorizeChannel(string socketId, string channel, object? channelData = null)
    {
        PusherLimits.ValidateSocketId(socketId);
        PusherLimits.ValidateChannelName(channel);
        if (channel.StartsWith("private-encrypted-", StringComparison.Ordinal))
            throw new NotSupportedException("End-to-end encrypted channels (private-encrypted-*) are not supported by Realtime.Pusher");

        string? serialized = null;
        if (channelData is not null)
        {
            var token = channelData as JToken ?? JToken.FromObject(channelData);
            if (channel.StartsWith("presence-", StringComparison.Ordinal))
            {
                var userId = (token as JObject)?["user_id"];
                if (userId is null || userId.Type is not (JTokenType.String or JTokenType.Integer) || userId.ToString() == "")
                    throw new PusherValidationException(PusherLimits.UserIdLimit,
                        "Presence channel data must be an object with a non-empty user_id", nameof(channelData));
            }
            serialized = JsJson.Stringify(token);
        }
        else if (channel.StartsWith("presence-", StringComparison.Ordinal))
        {
            throw new PusherValidationException(PusherLimits.UserIdLimit,
                "Presence channels need channel data with a user_id", nameof(channelData));
        }

        var toSign = serialized is null ? $"{socketId}:{channel}" : $"{socketId}:{channel}:{serialized}";
        return new ChannelAuthorization { Auth = Key + ":" + PusherSignature.Sign(_secret, toSign), ChannelData = serialized };
    }

    /// <summary>User authentication for <c>pusher:signin</c>; signs <c>socket_id::user::user_data</c>.</summary>
    public UserAuthentication AuthenticateUser(string socketId, PusherUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var data = new JObject { ["id"] = user.Id };
        if (user.UserInfo is not null) data["user_info"] = user.UserInfo as JToken ?? JToken.FromObject(user.UserInfo);
        if (user.Watchlist is not null) data["watchlist"] = new JArray(user.Watchlist);
        return AuthenticateUser(socketId, (object)data);
    }

    /// <summary>
    /// User authentication with free-form user data (object, dictionary or JObject); it must
    /// have a non-empty string <c>id</c>. Serialized as JSON.stringify would.
    /// </summary>
    public UserAuthentication AuthenticateUser(string socketId, object userData)
    {
        ArgumentNullException.ThrowIfNull(userData);
        PusherLimits.ValidateSocketId(socketId);
        var token = userData as JToken ?? JToken.FromObject(userData);
        var id = (token as JObject)?["id"];
        if (id is null || id.Type != JTokenType.String || (string)id! == "")
            throw new PusherValidationException(PusherLimits.UserIdLimit,
                "Pusher user data must be an object with a non-empty string 'id'", nameof(userData));
        var serialized = JsJson.Stringify(token);
        var signature = PusherSignature.Sign(_secret, $"{socketId}::user::{serialized}");
        return new UserAuthentication { Auth = Key + ":" + signature, UserData = serialized };
    }

    /// <summary>
    /// Verifies a webhook: <c>X-Pusher-Key</c> must be this app's key and
    /// <c>X-Pusher-Signature</c> must be HMAC-SHA256(secret, raw body) (compared in constant
    /// time). Pass the body exactly as received — re-serialized JSON will not verify.
    /// Never throws for bad input: the result says what is wrong.
    /// </summary>
    public PusherWebhookResult VerifyWebhook(string? keyHeader, string? signatureHeader, byte[] rawBody)
    {
        ArgumentNullException.ThrowIfNull(rawBody);
        if (string.IsNullOrEmpty(keyHeader))
            return PusherWebhookResult.Fail(WebhookFailure.MissingKey, "The webhook has no X-Pusher-Key header");
        if (!string.Equals(keyHeader.Trim(), Key, StringComparison.Ordinal))
            return PusherWebhookResult.Fail(WebhookFailure.UnknownKey, "The webhook's X-Pusher-Key is not this app's key");
        if (string.IsNullOrEmpty(signatureHeader))
            return PusherWebhookResult.Fail(WebhookFailure.MissingSignature, "The webhook has no X-Pusher-Signature header");
        if (!PusherSignature.Matches(_secret, rawBody, signatureHeader))
            return PusherWebhookResult.Fail(WebhookFailure.InvalidSignature, "The webhook's X-Pusher-Signature does not match its body");

        try
        {
            var root = JsJson.Parse(Encoding.UTF8.GetString(rawBody)) as JObject
                       ?? throw new JsonException("the body is not a JSON object");
            var time = root["time_ms"];
            if (time is null || time.Type is not (JTokenType.Integer or JTokenType.Float))
                throw new JsonException("time_ms is missing");
            if (root["events"] is not JArray events)
                throw new JsonException("events is missing");
            var list = new List<PusherWebhookEvent>(events.Count);
            foreach (var e in events)
            {
                if (e is not JObject o || o["name"]?.Type != JTokenType.String)
                    throw new JsonException("an event has no name");
                list.Add(new PusherWebhookEvent
                {
                    Name = (string)o["name"]!,
                    Channel = Str(o, "channel"),
                    Event = Str(o, "event"),
                    Data = o["data"] is { Type: not JTokenType.String and not JTokenType.Null } d ? JsJson.Stringify(d) : Str(o, "data"),
                    SocketId = Str(o, "socket_id"),
                    UserId = Str(o, "user_id"),
                    SubscriptionCount = o["subscription_count"]?.Type == JTokenType.Integer ? (int)o["subscription_count"]! : null,
                    Raw = o,
                });
            }
            return new PusherWebhookResult { Webhook = new PusherWebhook { TimeMs = (long)(double)time, Events = list } };
        }
        catch (JsonException e)
        {
            return PusherWebhookResult.Fail(WebhookFailure.InvalidBody, "The webhook body is not a valid Pusher webhook: " + e.Message);
        }
    }

    /// <inheritdoc cref="VerifyWebhook(string?, string?, byte[])"/>
    public PusherWebhookResult VerifyWebhook(string? keyHeader, string? signatureHeader, string rawBody) =>
        VerifyWebhook(keyHeader, signatureHeader, Encoding.UTF8.GetBytes(rawBody ?? throw new ArgumentNullException(nameof(rawBody))));

    private static string? Str(JObject o, string name)
    {
        var v = o[name];
        return v is null || v.Type == JTokenType.Null ? null : v.Type == JTokenType.String ? (string)v! : v.ToString(Formatting.None);
    }
}
