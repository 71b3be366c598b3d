using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Inbox;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>
/// Issue 9, item 3: a cursor beyond the inbox's last seq (a game server that registered again and
/// kept its old cursor, or a forged Last-Event-ID) must acknowledge nothing and be told with
/// <c>gap: true</c> and <c>next</c> = the last seq, so the client resumes from what exists.
/// </summary>
public sealed class CursorAheadTests : IDisposable
{
    private readonly RelayFactory _relay = new();
    private readonly InboxHarness _inbox;

    public CursorAheadTests() => _inbox = new InboxHarness(_relay);

    private async Task<InboxState> StateOfAsync(RelayClient client) => (await _relay.Services.GetRequiredService<IInboxStore>().StateOfAsync(client.InboxId))!;

    /// <summary>
    /// A poll queues its acknowledgement and answers without waiting for it; a write queued after it completes once
    /// it is applied, so the next poll does not race the writer.
    /// </summary>
    private Task AcknowledgementsAppliedAsync() => _relay.Services.GetRequiredService<Realtime.Relay.Storage.StoreWriter>().WriteAsync(_ => { });

    private static long[] Seqs(JObject answer) => ((JArray)answer["events"]!).Select(e => (long)e["seq"]!).ToArray();

    [Fact]
    public async Task A_poll_after_a_cursor_beyond_the_last_seq_acknowledges_nothing_and_hands_out_the_unread_events_with_gap()
    {
        var (client, http) = await _inbox.NewClientAsync();
        for (var i = 1; i <= 3; i++) await _inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");
        await InboxHarness.PollAsync(http, client, after: 1);
        await AcknowledgementsAppliedAsync(); // a clean-clone run sent the next poll before it, and got event 1 again

        var answer = await InboxHarness.PollAsync(http, client, after: 57, wait: 25);
        Assert.True((bool)answer["gap"]!);
        Assert.Equal(new[] { 2L, 3L }, Seqs(answer));
        Assert.Equal(3, (long)answer["next"]!);

        // A later write is ordered after any acknowledgement the poll could have queued.
        await _inbox.HeardOnPusherAsync(client.OwnChannel, "marker", "{}");
        Assert.Equal(1, (await StateOfAsync(client)).AckedSeq);
        Assert.Equal(new[] { 2L, 3L, 4L }, Seqs(await InboxHarness.PollAsync(http, client, after: 1)));
    }

    [Fact]
    public async Task A_cursor_beyond_an_emptied_inbox_answers_at_once_with_gap_and_the_inboxs_high_water_seq()
    {
        var (client, http) = await _inbox.NewClientAsync();
        for (var i = 1; i <= 4; i++) await _inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");
        await InboxHarness.PollAsync(http, client, after: 4); // everything acknowledged: the inbox is empty
        await AcknowledgementsAppliedAsync(); // a clean-clone run once got events 1-4 again without it

        var answer = await InboxHarness.PollAsync(http, client, after: 900, wait: 25);
        Assert.Empty((JArray)answer["events"]!);
        Assert.True((bool)answer["gap"]!);
        Assert.Equal(4, (long)answer["next"]!); // not 0: seq numbering goes on from 5

        await _inbox.HeardOnPusherAsync(client.OwnChannel, "e5", "{}");
        var resumed = await InboxHarness.PollAsync(http, client, after: (long)answer["next"]!);
        Assert.Equal(new[] { 5L }, Seqs(resumed));
        Assert.False((bool)resumed["gap"]!);
    }

    [Fact]
    public async Task A_game_server_registering_again_with_its_old_cursor_still_receives_the_new_sessions_first_commands()
    {
        var (first, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g-again");
        for (var i = 1; i <= 9; i++) await _inbox.HeardOnPusherAsync(first.OwnChannel, "old" + i, "{}");
        await InboxHarness.PollAsync(http, first, after: 9);

        // The session is lost (ended for silence); the server registers again under the same job id.
        Assert.True(await _relay.Services.GetRequiredService<GameService>().EndAsync(first, "ended"));
        var again = new RelayClient(ClientKind.GameServer, first.Id, first.GameId);
        var token = await StoredClients.AddAsync(_relay.Services, again);
        using var http2 = _relay.CreateClient();
        http2.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await _inbox.HeardOnPusherAsync(again.OwnChannel, "start-round", "{\"round\":1}");
        await _inbox.HeardOnPusherAsync(again.OwnChannel, "end-round", "{\"round\":1}");

        var answer = await InboxHarness.PollAsync(http2, again, after: 9, wait: 25);
        Assert.True((bool)answer["gap"]!);
        Assert.Equal(new[] { "start-round", "end-round" }, ((JArray)answer["events"]!).Select(e => (string)e["event"]!));
        Assert.Equal(2, (long)answer["next"]!);

        var next = await InboxHarness.PollAsync(http2, again, after: 2);
        Assert.Empty((JArray)next["events"]!);
        Assert.False((bool)next["gap"]!);
    }

    [Fact]
    public async Task A_forged_high_Last_Event_ID_does_not_delete_unread_events_and_the_stream_starts_with_relay_gap()
    {
        var (client, http) = await _inbox.NewClientAsync();
        for (var i = 1; i <= 3; i++) await _inbox.HeardOnPusherAsync(client.OwnChannel, "e" + i, "{}");

        using (var request = new HttpRequestMessage(HttpMethod.Get, client.BasePath + "/stream"))
        {
            request.Headers.Add("Last-Event-ID", "999999");
            using var res = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await res.Content.ReadAsStreamAsync());
            var frames = await StreamTests.ReadFramesAsync(reader, 4);
            Assert.Equal((null, "relay:gap"), (frames[0].Id, frames[0].Event));
            Assert.Equal("cursor_ahead", (string?)frames[0].Data["data"]!["reason"]);
            Assert.Equal(3, (long)frames[0].Data["data"]!["lastSeq"]!);
            Assert.Equal(new[] { "1", "2", "3" }, frames.Skip(1).Select(f => f.Id));
        }

        await _inbox.HeardOnPusherAsync(client.OwnChannel, "marker", "{}");
        Assert.Equal(0, (await StateOfAsync(client)).AckedSeq);
        Assert.Equal(new[] { 1L, 2L, 3L, 4L }, Seqs(await InboxHarness.PollAsync(http, client)));
    }

    public void Dispose() => _relay.Dispose();
}
