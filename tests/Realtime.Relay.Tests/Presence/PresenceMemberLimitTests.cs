using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Tests.Inbox;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Presence;

/// <summary>
/// Issue 9, item 6: players Pusher refuses (the presence channel's 100-member limit) must not keep
/// their Pusher connections open; they are tried again, on a new connection, at the next report.
/// Counted by soketi itself (its <c>soketi_connected</c> metric).
/// </summary>
public sealed class PresenceMemberLimitTests : IAsyncLifetime
{
    private SoketiServer _soketi = null!;
    private RelayFactory _relay = null!;
    private InboxHarness _inbox = null!;

    public async Task InitializeAsync()
    {
        _soketi = await SoketiServer.StartAsync(new SoketiSettings { Metrics = true });
        _relay = new RelayFactory(new Dictionary<string, string?> { ["PUSHER_PORT"] = _soketi.Port.ToString() });
        _inbox = new InboxHarness(_relay);
    }

    private static async Task ReportAsync(HttpClient http, RelayClient client, IEnumerable<long> userIds)
    {
        var body = new JObject { ["players"] = new JArray(userIds.Select(id => new JObject { ["userId"] = id, ["name"] = "p" + id })) };
        var res = await http.PutAsync(client.BasePath + "/players", new StringContent(body.ToString(), Encoding.UTF8, "application/json"));
        Assert.True(res.StatusCode == HttpStatusCode.OK, await res.Content.ReadAsStringAsync());
    }

    private async Task<JArray> PlayersAsync(string gameId)
    {
        using var educator = _relay.ClientAs("u1", "educator");
        return (JArray)JObject.Parse(await educator.GetStringAsync($"/api/v1/games/{gameId}/players"))["players"]!;
    }

    [Fact]
    public async Task A_player_refused_by_the_member_limit_does_not_keep_a_pusher_connection_open()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "full-game");
        // The relay's own connection (it hears private-game-full-game) is up before counting.
        await Wait.UntilAsync(async () => await _soketi.ConnectedSocketsAsync() >= 1, TimeSpan.FromSeconds(30), "the relay's own connection");
        var baseline = await _soketi.ConnectedSocketsAsync();

        var roster = Enumerable.Range(1, 101).Select(i => (long)i).ToList();
        await ReportAsync(http, server, roster);
        JArray players = null!;
        await Wait.UntilAsync(async () => (players = await PlayersAsync("full-game")).All(p => (string?)p["pusher"] != "joining"),
            TimeSpan.FromSeconds(60), "every player to be a member or refused");
        var refused = players.Where(p => ((string)p["pusher"]!).StartsWith("refused", StringComparison.Ordinal)).ToList();
        Assert.Single(refused);

        await Wait.UntilAsync(async () => await _soketi.ConnectedSocketsAsync() == baseline + 100, TimeSpan.FromSeconds(30),
            "soketi to count 100 player connections, not 101");
        Assert.Equal(100, players.Count(p => (string?)p["pusher"] == "member"));

        // A player leaves: the refused one gets in on the next report, on a new connection.
        var refusedId = (long)refused[0]["userId"]!;
        var leaving = refusedId == 1 ? 2L : 1L;
        await Wait.UntilAsync(async () =>
        {
            await ReportAsync(http, server, roster.Where(id => id != leaving));
            return (await PlayersAsync("full-game")).All(p => (string?)p["pusher"] == "member");
        }, TimeSpan.FromSeconds(60), "the refused player to become a member");
        await Wait.UntilAsync(async () => await _soketi.ConnectedSocketsAsync() == baseline + 100, TimeSpan.FromSeconds(30),
            "100 player connections after the swap");
    }

    public async Task DisposeAsync()
    {
        _relay.Dispose();
        await _soketi.DisposeAsync();
    }
}
