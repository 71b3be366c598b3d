using Newtonsoft.Json.Linq;

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
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
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

    public void Dispose() => _relay.Dispose();
}
