using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;

namespace Realtime.Relay.Inbox;

/// <summary>The event as clients receive it: <c>{seq, channel, event, data, userId?, at}</c>.</summary>
public static class InboxEnvelope
{
    /// <summary>The HTTP API's own JSON settings, as the controllers use them (camelCase, nulls marked to be left out stay out).</summary>
    public static readonly JsonSerializerSettings Json = new() { ContractResolver = new CamelCasePropertyNamesContractResolver() };

    public static InboxEvent From(StoredEvent e) =>
        new(e.Seq, e.Channel, e.Event, e.Payload?.Parsed() ?? ParseData(e.Data), e.UserId, Stamp(DateTime.SpecifyKind(e.At, DateTimeKind.Utc)));

    /// <summary>
    /// The envelope's JSON after its seq, UTF-8: <c>,"channel":…,"at":"…"}</c>. <c>seq</c> is the
    /// envelope's first member, so <c>{"seq":N</c> and this are exactly what Newtonsoft writes for it.
    /// </summary>
    internal static byte[] JsonAfterSeq(StoredEvent e)
    {
        if (!CanonicalJson.IsCanonical(e.Data))
        {
            var withoutSeq = JsonConvert.SerializeObject(From(e) with { Seq = null }, Formatting.None, Json);
            return Encoding.UTF8.GetBytes(string.Concat(",", withoutSeq.AsSpan(1)));
        }
        // The payload is JSON that Newtonsoft would write back unchanged: written as it came, around the other members
        // written as Newtonsoft writes them (its string escaping, the record's member order, userId left out when null).
        var json = new StringBuilder(e.Data.Length + e.Channel.Length + e.Event.Length + 96)
            .Append(",\"channel\":").Append(JsonConvert.ToString(e.Channel))
            .Append(",\"event\":").Append(JsonConvert.ToString(e.Event))
            .Append(",\"data\":").Append(e.Data);
        if (e.UserId is not null) json.Append(",\"userId\":").Append(JsonConvert.ToString(e.UserId));
        json.Append(",\"at\":\"").Append(Stamp(DateTime.SpecifyKind(e.At, DateTimeKind.Utc))).Append("\"}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

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
            using var reader = new JsonTextReader(new StringReader(data))
            {
                DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Double, ArrayPool = Realtime.Pusher.Json.JsonCharPool.Shared,
            };
            var token = JToken.ReadFrom(reader, Realtime.Pusher.Json.JsJson.NoLineInfo);
            return reader.Read() ? JValue.CreateString(data) : token; // trailing content: not JSON
        }
        catch (JsonException)
        {
            return JValue.CreateString(data);
        }
    }
}
