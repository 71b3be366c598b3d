using System.Globalization;
using System.Text;
using System.Text.Json;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Json;

namespace Realtime.Pusher.Client;

/// <summary>One frame from the server, decoded as pusher-js decodes it.</summary>
public sealed record PusherMessage
{
    public required string Event { get; init; }
    public string? Channel { get; init; }

    private readonly Lazy<JToken?>? _data;

    /// <summary>
    /// The data as pusher-js hands it to handlers: a string that is valid JSON becomes the parsed
    /// value (object, array, number, bool, null, string); any other string stays a string value;
    /// non-string data is used as it is. Null when the frame had no <c>data</c>. A string is parsed
    /// the first time this is read, so a consumer that only forwards <see cref="RawData"/> never parses it.
    /// </summary>
    public JToken? Data { get => _data?.Value; init => _data = PusherProtocol.Known(value); }

    /// <summary>Where <see cref="Data"/> comes from, handed on unread to the events made from this frame.</summary>
    internal Lazy<JToken?>? DataSource { get => _data; init => _data = value; }

    /// <summary>The data as it was on the wire: the string itself, or the JSON text of non-string data.</summary>
    public string? RawData { get; init; }

    /// <summary><c>user_id</c> of the frame (client events on presence channels).</summary>
    public string? UserId { get; init; }
}

/// <summary>A frame from the server that is not a Pusher message.</summary>
public sealed class PusherProtocolException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Pusher protocol 7: decoding server frames and encoding client frames. Pure functions.</summary>
public static class PusherProtocol
{
    public const int Version = 7;

    /// <summary>Decodes one text frame. Throws <see cref="PusherProtocolException"/> for frames that are not Pusher messages.</summary>
    public static PusherMessage Parse(string frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        JToken root;
        try { root = JsJson.Parse(frame); }
        catch (Newtonsoft.Json.JsonException e) { throw new PusherProtocolException("The server sent a frame that is not JSON: " + Shorten(frame), e); }
        if (root is not JObject o) throw new PusherProtocolException("The server sent a frame that is not a JSON object: " + Shorten(frame));
        var ev = o["event"];
        if (ev is null || ev.Type != JTokenType.String || string.IsNullOrEmpty((string?)ev))
            throw new PusherProtocolException("The server sent a frame without an event name: " + Shorten(frame));
        var data = DecodeDataWhenRead(o["data"], out var raw);
        return new PusherMessage
        {
            Event = (string)ev!,
            Channel = o["channel"]?.Type == JTokenType.String ? (string?)o["channel"] : null,
            DataSource = data,
            RawData = raw,
            UserId = ScalarToString(o["user_id"]),
        };
    }

    /// <summary>pusher-js's rule for <c>data</c>: if it is a string, try JSON.parse on it and keep the string when that fails.</summary>
    public static JToken? DecodeData(JToken? data, out string? raw) => DecodeDataWhenRead(data, out raw)?.Value;

    /// <summary>
    /// <see cref="DecodeData"/>, with a string's JSON.parse put off until the value is first read
    /// (most events are forwarded as their raw text and never need it).
    /// </summary>
    internal static Lazy<JToken?>? DecodeDataWhenRead(JToken? data, out string? raw)
    {
        if (data is null || data.Type == JTokenType.Undefined) { raw = null; return null; }
        if (data.Type == JTokenType.String)
        {
            var text = (string)data!;
            raw = text;
            return new Lazy<JToken?>(() => TryParseLikeJsonParse(text, out var parsed) ? parsed : new JValue(text));
        }
        raw = JsJson.Stringify(data);
        return Known(data);
    }

    /// <summary>A value already at hand, in the form <see cref="PusherMessage.Data"/> and <see cref="PusherEvent.Data"/> keep it.</summary>
    internal static Lazy<JToken?>? Known(JToken? value) => value is null ? null : new Lazy<JToken?>(value);

    /// <summary>
    /// Parses <paramref name="text"/> only if JavaScript's strict <c>JSON.parse</c> would accept it
    /// (no comments, single quotes, trailing commas, NaN, unquoted names — which Newtonsoft alone allows).
    /// </summary>
    public static bool TryParseLikeJsonParse(string text, out JToken? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false, MaxDepth = 256 });
            while (reader.Read()) { }
        }
        catch (JsonException) { return false; }
        try
        {
            value = JsJson.Parse(text);
            return true;
        }
        catch (Newtonsoft.Json.JsonException) { return false; }
    }

    // ------------------------------------------------------------ frames we send

    public static string Ping() => "{\"event\":\"pusher:ping\",\"data\":{}}";

    public static string Pong() => "{\"event\":\"pusher:pong\",\"data\":{}}";

    public static string Subscribe(string channel, string? auth = null, string? channelData = null)
    {
        var sb = new StringBuilder("{\"event\":\"pusher:subscribe\",\"data\":{");
        if (auth is not null) sb.Append("\"auth\":").Append(JsJson.Quote(auth)).Append(',');
        if (channelData is not null) sb.Append("\"channel_data\":").Append(JsJson.Quote(channelData)).Append(',');
        sb.Append("\"channel\":").Append(JsJson.Quote(channel)).Append("}}");
        return sb.ToString();
    }

    public static string Unsubscribe(string channel) =>
        "{\"event\":\"pusher:unsubscribe\",\"data\":{\"channel\":" + JsJson.Quote(channel) + "}}";

    /// <summary>A client event; <paramref name="data"/> goes out as JSON, the way pusher-js sends it (not double-encoded).</summary>
    public static string ClientEvent(string channel, string eventName, JToken data)
    {
        var sb = new StringBuilder("{\"event\":");
        sb.Append(JsJson.Quote(eventName)).Append(",\"data\":");
        JsJson.Write(sb, data);
        sb.Append(",\"channel\":").Append(JsJson.Quote(channel)).Append('}');
        return sb.ToString();
    }

    public static string SignIn(string auth, string userData) =>
        "{\"event\":\"pusher:signin\",\"data\":{\"auth\":" + JsJson.Quote(auth) + ",\"user_data\":" + JsJson.Quote(userData) + "}}";

    /// <summary>The WebSocket URL: <c>{ws|wss}://host:port/app/{key}?protocol=7&amp;client=…&amp;version=…&amp;flash=false</c>.</summary>
    public static Uri ConnectionUri(PusherOptions options, PusherClientOptions client)
    {
        var scheme = options.UseTls ? "wss" : "ws";
        var port = options.Port ?? (options.UseTls ? 443 : 80);
        var query = "protocol=" + Version.ToString(CultureInfo.InvariantCulture) +
                    "&client=" + Uri.EscapeDataString(client.ClientName) +
                    "&version=" + Uri.EscapeDataString(client.ClientVersion) +
                    "&flash=false";
        return new UriBuilder(scheme, options.WebSocketHost, port, "/app/" + Uri.EscapeDataString(options.Key)) { Query = query }.Uri;
    }

    internal static string? ScalarToString(JToken? t) => t?.Type switch
    {
        null or JTokenType.Null or JTokenType.Undefined => null,
        JTokenType.String => (string?)t,
        JTokenType.Integer or JTokenType.Float or JTokenType.Boolean => JsJson.Stringify(t),
        _ => t.ToString(Newtonsoft.Json.Formatting.None),
    };

    internal static string Shorten(string s) => s.Length <= 200 ? s : s[..197] + "...";
}
