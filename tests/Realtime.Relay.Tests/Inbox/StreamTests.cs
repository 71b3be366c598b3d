using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Inbox;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>GET P/stream: the inbox as Server-Sent Events (Studio's WebStreamClient).</summary>
public sealed class StreamTests : IDisposable
{
    private readonly RelayFactory _relay = new();
    private readonly InboxHarness _inbox;

    public StreamTests() => _inbox = new InboxHarness(_relay);

    internal static async Task<List<(string? Id, string Event, JObject Data)>> ReadFramesAsync(StreamReader reader, int count)
    {
        var frames = new List<(string?, string, JObject)>();
        string? id = null, name = null, data = null;
        using var timeout = new CancellationTokenSource(Patience.Step);
        while (frames.Count < count)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
            if (line.StartsWith("id: ")) id = line[4..];
            else if (line.StartsWith("event: ")) name = line[7..];
            else if (line.StartsWith("data: ")) data = line[6..];
            else if (line.Length == 0 && data is not null)
            {
                frames.Add((id, name!, JObject.Parse(data)));
                id = name = data = null;
            }
        }
        return frames;
    }

    [Fact]
    public async Task Events_arrive_as_sse_frames_with_the_seq_as_id()
    {
        var (client, http) = await _inbox.NewClientAsync();
        await _inbox.HeardOnPusherAsync(client.OwnChannel, "first", "{\"a\":1}");
        using var res = await http.GetAsync(client.BasePath + "/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", res.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await res.Content.ReadAsStreamAsync());
        var early = await ReadFramesAsync(reader, 1);
        await _inbox.HeardOnPusherAsync(client.OwnChannel, "second", "{\"a\":2}");
        var late = await ReadFramesAsync(reader, 1);

        Assert.Equal(("1", "first"), (early[0].Id, early[0].Event));
        Assert.Equal(1, (int)early[0].Data["data"]!["a"]!);
        Assert.Equal(("2", "second"), (late[0].Id, late[0].Event));
        Assert.Equal(2, (long)late[0].Data["seq"]!);
    }

    [Fact]
    public async Task A_stream_resumes_after_Last_Event_ID()
    {
        var (client, http) = await _inbox.NewClientAsync();
        for (var i = 1; i <= 3; i++) await _inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");
        using var request = new HttpRequestMessage(HttpMethod.Get, client.BasePath + "/stream");
        request.Headers.Add("Last-Event-ID", "2");
        using var res = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await res.Content.ReadAsStreamAsync());
        var frames = await ReadFramesAsync(reader, 1);
        Assert.Equal(("3", "e3"), (frames[0].Id, frames[0].Event));
    }

    [Fact]
    public async Task Another_clients_token_cannot_open_the_stream()
    {
        var (_, aliceHttp) = await _inbox.NewClientAsync();
        var (bob, _) = await _inbox.NewClientAsync();
        using var res = await aliceHttp.GetAsync(bob.BasePath + "/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, res.StatusCode);
    }

    [Fact]
    public async Task A_stream_that_resumes_past_events_retention_dropped_is_told_with_relay_gap_first()
    {
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["Inbox:MaxEventsPerClient"] = "3" });
        var inbox = new InboxHarness(relay);
        var (client, http) = await inbox.NewClientAsync();
        for (var i = 1; i <= 5; i++) await inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");
        using var res = await http.GetAsync(client.BasePath + "/stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await res.Content.ReadAsStreamAsync());
        var frames = await ReadFramesAsync(reader, 4);

        Assert.Equal((null, "relay:gap"), (frames[0].Id, frames[0].Event));
        Assert.Equal(2, (long)frames[0].Data["data"]!["droppedThrough"]!);
        Assert.Equal(new[] { "3", "4", "5" }, frames.Skip(1).Select(f => f.Id));
    }

    /// <summary>
    /// Frames read as an EventSource reads them (HTML's SSE parsing rules): CR, LF and CRLF end
    /// lines; <c>id</c> sets the last event id, which outlives the frame; a blank line dispatches.
    /// </summary>
    private static async Task<List<(string? LastEventId, string Event, string Data)>> ReadAsEventSourceAsync(StreamReader reader, int count)
    {
        var frames = new List<(string?, string, string)>();
        string? lastEventId = null, eventType = null;
        var data = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (frames.Count < count)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
            if (line.Length == 0)
            {
                if (data.Count > 0) frames.Add((lastEventId, eventType ?? "message", string.Join('\n', data)));
                eventType = null;
                data.Clear();
                continue;
            }
            if (line[0] == ':') continue;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..];
            switch (field)
            {
                case "event": eventType = value; break;
                case "data": data.Add(value); break;
                case "id" when !value.Contains('\0'): lastEventId = value; break;
            }
        }
        return frames;
    }

    private const string ForgedName = "evil\nid: 999999\nevent: relay:revoked\ndata: {\"seq\":999999}\n\r\nid: 888888\rx\u2028y\u2029z\u0085end";

    [Fact]
    public async Task A_stored_event_name_with_line_breaks_streams_as_one_frame_with_its_true_id()
    {
        var (client, http) = await _inbox.NewClientAsync();
        var store = _relay.Services.GetRequiredService<IInboxStore>();
        // Straight into the store, as an event kept from before names were checked would be.
        await store.AppendAsync([client.InboxId], new IncomingEvent(client.OwnChannel, ForgedName, "plain\ntext\r\nid: 777777"));
        await store.AppendAsync([client.InboxId], new IncomingEvent(client.OwnChannel, "after", "{}"));
        using var res = await http.GetAsync(client.BasePath + "/stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await res.Content.ReadAsStreamAsync());
        var frames = await ReadAsEventSourceAsync(reader, 2);

        Assert.Equal(new[] { "1", "2" }, frames.Select(f => f.LastEventId));
        var first = JObject.Parse(frames[0].Data);
        Assert.Equal((1L, ForgedName, "plain\ntext\r\nid: 777777"), ((long)first["seq"]!, (string?)first["event"], (string?)first["data"]));
        Assert.DoesNotContain(frames, f => f.Event == "relay:revoked");
        Assert.Equal("after", frames[1].Event);
    }

    [Fact]
    public async Task A_forged_id_in_a_stored_event_name_cannot_move_the_listeners_cursor()
    {
        var (client, http) = await _inbox.NewClientAsync();
        var store = _relay.Services.GetRequiredService<IInboxStore>();
        await store.AppendAsync([client.InboxId], new IncomingEvent(client.OwnChannel, ForgedName, "{}"));
        string? lastEventId;
        using (var res = await http.GetAsync(client.BasePath + "/stream", HttpCompletionOption.ResponseHeadersRead))
        using (var reader = new StreamReader(await res.Content.ReadAsStreamAsync()))
            lastEventId = (await ReadAsEventSourceAsync(reader, 1))[0].LastEventId;
        await store.AppendAsync([client.InboxId], new IncomingEvent(client.OwnChannel, "unread", "{}"));

        // The listener resumes as EventSource does, from the last id it saw.
        using var resume = new HttpRequestMessage(HttpMethod.Get, client.BasePath + "/stream");
        resume.Headers.Add("Last-Event-ID", lastEventId);
        using var resumed = await http.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        using var resumedReader = new StreamReader(await resumed.Content.ReadAsStreamAsync());
        var next = (await ReadAsEventSourceAsync(resumedReader, 1))[0];
        Assert.Equal("1", lastEventId);
        Assert.Equal(("2", "unread"), (next.LastEventId, next.Event));
    }

    public void Dispose() => _relay.Dispose();
}
