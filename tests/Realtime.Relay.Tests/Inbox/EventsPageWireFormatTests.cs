using System.Net;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>
/// A long-poll's answer is put together from parts serialized once per event; on the wire it must
/// stay byte for byte what the controllers' Newtonsoft settings write for the page.
/// </summary>
public sealed class EventsPageWireFormatTests : IDisposable
{
    private static readonly JsonSerializerSettings ControllerJson = new() { ContractResolver = new CamelCasePropertyNamesContractResolver() };

    private readonly RelayFactory _relay = new();
    private readonly InboxHarness _inbox;

    public EventsPageWireFormatTests() => _inbox = new InboxHarness(_relay);

    private static readonly (string Event, string Data, string? UserId)[] Heard =
    [
        ("generate", "{\"lesson\":\"volcanoes\",\"n\":3,\"ratio\":1.50,\"big\":1e3,\"nested\":[true,null,{\"x\":\"\\u00e9\\u2028<tag>&'\"}]}", "u7"),
        ("note", "plain text, not JSON, with \"quotes\", é and a \u2028 line separator", null),
        ("json-string", "\"a JSON string\"", "user \"quoted\""),
        ("number", "42", null),
        ("empty", "", null),
        // JSON that Newtonsoft writes back unchanged: copied into the answer rather than parsed (CanonicalJson).
        ("typical", "{\"id\":7,\"name\":\"Ava \\\"the\\\" \\\\ é 😀\\n\",\"tags\":[\"a\",\"b\"],\"ok\":true,\"none\":null,\"score\":2.5,\"tiny\":1E-07,\"nested\":{\"k\":[],\"o\":{}}}", "player\u2028\"7\""),
        ("array", "[1,-2,3.25,\"x\"]", null),
    ];

    [Fact]
    public async Task Events_from_memory_are_answered_exactly_as_newtonsoft_writes_the_page()
    {
        var (client, http) = await _inbox.NewClientAsync();
        var (other, otherHttp) = await _inbox.NewClientAsync(ClientKind.GameServer);
        foreach (var (name, data, userId) in Heard)
            await _inbox.HeardOnPusherAsync(client.OwnChannel, name, data, userId);

        var body = await RawPollAsync(http, client, after: 0);
        Assert.Equal(Expected(client, body, firstSeq: 1, Heard.Length, gap: false), body);

        var fromTwo = await RawPollAsync(http, client, after: 2);
        Assert.Equal(Expected(client, fromTwo, firstSeq: 3, Heard.Length, gap: false), fromTwo);

        var empty = await RawPollAsync(otherHttp, other, after: 0);
        Assert.Equal("{\"events\":[],\"next\":0,\"gap\":false}", empty);
    }

    [Fact]
    public async Task A_cursor_beyond_the_last_seq_is_answered_exactly_as_newtonsoft_writes_the_page()
    {
        var (client, http) = await _inbox.NewClientAsync();
        await _inbox.HeardOnPusherAsync(client.OwnChannel, Heard[0].Event, Heard[0].Data, Heard[0].UserId);

        var body = await RawPollAsync(http, client, after: 9);
        Assert.Equal(Expected(client, body, firstSeq: 1, count: 1, gap: true), body);
    }

    private static async Task<string> RawPollAsync(HttpClient http, RelayClient client, long after)
    {
        var res = await http.GetAsync($"{client.BasePath}/events?after={after}&wait=0");
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("application/json", res.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", res.Content.Headers.ContentType?.CharSet);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), res.Content.Headers.ContentLength);
        return body;
    }

    /// <summary>The page Newtonsoft writes for these events; only <c>at</c> (stamped by the relay) is taken from the answer.</summary>
    private static string Expected(RelayClient client, string answer, long firstSeq, int count, bool gap)
    {
        using var reader = new JsonTextReader(new StringReader(answer)) { DateParseHandling = DateParseHandling.None };
        var stamps = ((JArray)JObject.Load(reader)["events"]!).Select(e => (string)e["at"]!).ToList();
        var events = new List<InboxEvent>();
        for (var seq = firstSeq; seq <= count; seq++)
        {
            var (name, data, userId) = Heard[seq - 1];
            events.Add(new InboxEvent(seq, client.OwnChannel, name, InboxEnvelope.ParseData(data), userId, stamps[(int)(seq - firstSeq)]));
        }
        return JsonConvert.SerializeObject(new EventsPage(events, count, gap), Formatting.None, ControllerJson);
    }

    public void Dispose() => _relay.Dispose();
}
