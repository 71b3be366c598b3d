using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Inbox;

/// <summary>The event as clients receive it: <c>{seq, channel, event, data, userId?, at}</c>.</summary>
public static class InboxEnvelope
{
    public static JObject ToJson(StoredEvent e)
    {
        var json = new JObject
        {
            ["seq"] = e.Seq,
            ["channel"] = e.Channel,
            ["event"] = e.Event,
            ["data"] = ParseData(e.Data),
        };
        if (e.UserId is not null) json["userId"] = e.UserId;
        json["at"] = DateTime.SpecifyKind(e.At, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        return json;
    }

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
