using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Inbox;

/// <summary>The event as clients receive it: <c>{seq, channel, event, data, userId?, at}</c>.</summary>
public static class InboxEnvelope
{
    public static InboxEvent From(StoredEvent e) =>
        new(e.Seq, e.Channel, e.Event, e.Payload?.Parsed() ?? ParseData(e.Data), e.UserId, Stamp(DateTime.SpecifyKind(e.At, DateTimeKind.Utc)));

    /// <summary>An event the relay itself adds (<c>relay:gap</c>, <c>relay:revoked</c>), stamped now.</summary>
    public static InboxEvent RelayNotice(long? seq, string channel, string eventName, JObject data) =>
        new(seq, channel, eventName, data, null, Stamp(DateTime.UtcNow));

    private static string Stamp(DateTime utc) => utc.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>As pusher-js does: JSON text becomes the parsed value, anything else stays a string.</summary>
    public static JToken ParseData(string data)
    {
        if (data.Length == 0) return JValue.CreateString(data);
        try
        {
            using var reader = new JsonTextReader(new StringReader(data)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Double };
            var token = JToken.ReadFrom(reader);
            return reader.Read() ? JValue.CreateString(data) : token; // trailing content: not JSON
        }
        catch (JsonException)
        {
            return JValue.CreateString(data);
        }
    }
}
