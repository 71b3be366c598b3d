using Newtonsoft.Json;
using STJ = System.Text.Json.Serialization;

namespace Realtime.Pusher.Auth;

/// <summary>
/// The answer pusher-js expects from a channel authorization endpoint:
/// <c>{"auth":"key:signature"}</c> for private channels, plus <c>"channel_data"</c> (a JSON
/// string, not an object) for presence channels. Serializes the same with Newtonsoft and System.Text.Json.
/// </summary>
public sealed record ChannelAuthorization
{
    [JsonProperty("auth")]
    [STJ.JsonPropertyName("auth")]
    public required string Auth { get; init; }

    [JsonProperty("channel_data", NullValueHandling = NullValueHandling.Ignore)]
    [STJ.JsonPropertyName("channel_data")]
    [STJ.JsonIgnore(Condition = STJ.JsonIgnoreCondition.WhenWritingNull)]
    public string? ChannelData { get; init; }

    /// <summary>The exact JSON body to answer pusher-js with.</summary>
    public string ToJson() => ChannelData is null
        ? "{\"auth\":" + Json.JsJson.Quote(Auth) + "}"
        : "{\"auth\":" + Json.JsJson.Quote(Auth) + ",\"channel_data\":" + Json.JsJson.Quote(ChannelData) + "}";
}

/// <summary>
/// The answer pusher-js expects from a user authentication endpoint (<c>pusher:signin</c>):
/// <c>{"auth":"key:signature","user_data":"{\"id\":\"...\"}"}</c>.
/// </summary>
public sealed record UserAuthentication
{
    [JsonProperty("auth")]
    [STJ.JsonPropertyName("auth")]
    public required string Auth { get; init; }

    [JsonProperty("user_data")]
    [STJ.JsonPropertyName("user_data")]
    public required string UserData { get; init; }

    public string ToJson() => "{\"auth\":" + Json.JsJson.Quote(Auth) + ",\"user_data\":" + Json.JsJson.Quote(UserData) + "}";
}

/// <summary>User data for <c>pusher:signin</c>. <see cref="Id"/> is required by Pusher.</summary>
public sealed record PusherUser
{
    public required string Id { get; init; }
    /// <summary>Optional; shown to other users (e.g. in presence-like features).</summary>
    public object? UserInfo { get; init; }
    /// <summary>Optional list of user ids whose online status this user watches.</summary>
    public IReadOnlyList<string>? Watchlist { get; init; }
}
