using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Publishing;
using Realtime.Relay.Tests.Inbox;

namespace Realtime.Relay.Tests.Publishing;

/// <summary>POST P/trigger in-process: what is accepted into the outbox and what is refused.</summary>
public sealed class TriggerValidationTests : IDisposable
{
    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["PUSHER_ENABLED"] = "false" }); // nothing drains the outbox
    private readonly InboxHarness _inbox;

    public TriggerValidationTests() => _inbox = new InboxHarness(_relay);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
    private int Pending => _relay.Services.GetRequiredService<Outbox>().PendingAsync().GetAwaiter().GetResult();

    [Fact]
    public async Task Allowed_events_are_accepted_into_the_outbox_with_202()
    {
        var (plugin, http) = await _inbox.NewClientAsync(gameId: "g1");
        var res = await http.PostAsync(plugin.BasePath + "/trigger", Json(
            $"{{\"events\":[{{\"channel\":\"roblox-sync\",\"event\":\"place-changed\",\"data\":{{\"placeId\":1}}}}," +
            $"{{\"channel\":\"{plugin.OwnChannel}\",\"event\":\"reply\",\"data\":\"ok\"}}," +
            "{\"channel\":\"presence-game-g1\",\"event\":\"score\",\"data\":[1,2]}]}"));
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        Assert.Equal(3, (int)JObject.Parse(await res.Content.ReadAsStringAsync())["accepted"]!);
        Assert.Equal(3, Pending);
    }

    [Fact]
    public async Task The_outbox_entry_names_its_sender_and_cannot_be_forged()
    {
        var (server, http) = await _inbox.NewClientAsync(ClientKind.GameServer, gameId: "g9");
        await http.PostAsync(server.BasePath + "/trigger", Json(
            "{\"events\":[{\"channel\":\"roblox-sync\",\"event\":\"e\",\"data\":{\"from\":{\"kind\":\"plugin\",\"id\":\"victim\"}}}]}"));
        var entry = Assert.Single(await _relay.Services.GetRequiredService<Outbox>().OldestAsync(10));
        var wrapped = JObject.Parse(entry.Data);
        Assert.Equal("server", (string?)wrapped["from"]!["kind"]);
        Assert.Equal(server.Id, (string?)wrapped["from"]!["id"]);
        Assert.Equal("g9", (string?)wrapped["from"]!["gameId"]);
        Assert.Equal("victim", (string?)wrapped["data"]!["from"]!["id"]); // the client's own data, inside
    }

    [Theory]
    [InlineData("private-plugin-someone-else")]
    [InlineData("presence-game-other-game")]
    [InlineData("dashboard-updates")]
    [InlineData("private-user-1")]
    public async Task Channels_outside_the_publish_policy_are_403_and_nothing_is_stored(string channel)
    {
        var (plugin, http) = await _inbox.NewClientAsync(gameId: "g1");
        var res = await http.PostAsync(plugin.BasePath + "/trigger", Json(
            $"{{\"events\":[{{\"channel\":\"roblox-sync\",\"event\":\"ok\",\"data\":1}},{{\"channel\":\"{channel}\",\"event\":\"x\",\"data\":1}}]}}"));
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        Assert.Equal(0, Pending);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "{}", "events" },
        { "{\"events\":[]}", "events" },
        { "{\"events\":[" + string.Join(",", Enumerable.Repeat("{\"channel\":\"roblox-sync\",\"event\":\"e\",\"data\":1}", 11)) + "]}", "events" },
        { "{\"events\":[{\"channel\":\"roblox sync\",\"event\":\"e\",\"data\":1}]}", "Channel" },
        { "{\"events\":[{\"channel\":\"roblox-sync\",\"data\":1}]}", "Event" },
        { "{\"events\":[{\"channel\":\"roblox-sync\",\"event\":\"pusher:member_added\",\"data\":1}]}", "Event" },
        { "{\"events\":[{\"channel\":\"roblox-sync\",\"event\":\"pusher_internal:x\",\"data\":1}]}", "Event" },
        { "{\"events\":[{\"channel\":\"roblox-sync\",\"event\":\"" + new string('e', 201) + "\",\"data\":1}]}", "Event" },
        { "{\"events\":[{\"channel\":\"roblox-sync\",\"event\":\"e\",\"data\":\"" + new string('x', 10_200) + "\"}]}", "data" },
        { "{\"events\":[{\"channel\":\"roblox-sync\",\"event\":\"e\",\"data\":1,\"id\":\"has spaces\"}]}", "Id" },
        { "{\"events\":[null]}", "Events" },
        { "[1,2,3]", "" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Malformed_triggers_are_400_with_the_reason_and_store_nothing(string body, string field)
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        var res = await http.PostAsync(plugin.BasePath + "/trigger", Json(body));
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Contains(field, text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, Pending);
    }

    // Names as JSON string contents (escapes included), so the relay decodes the real characters.
    [Theory]
    [InlineData(@"forged\r\nid: 999999\r\nevent: relay:revoked")]
    [InlineData(@"line\nbreak")]
    [InlineData(@"carriage\rreturn")]
    [InlineData(@"nul\u0000")]
    [InlineData(@"escape\u001b[31m")]
    [InlineData(@"next-line\u0085")]
    [InlineData(@"line\u2028separator")]
    [InlineData(@"paragraph\u2029separator")]
    public async Task An_event_name_with_control_characters_or_line_breaks_is_400_invalid_name_and_nothing_is_stored(string jsonName) =>
        await AssertRefusedAsInvalidNameAsync("roblox-sync", jsonName);

    [Theory]
    [InlineData("Relay:revoked")]
    [InlineData("RELAY:gap")]
    [InlineData(" relay:gap")]
    [InlineData("relay:watchers ")]
    [InlineData("PUSHER:x")]
    [InlineData("Pusher_Internal:member_added")]
    [InlineData(@"\tpusher:x")]
    [InlineData(" padded")]
    [InlineData("padded ")]
    [InlineData(@"padded\u00a0")]
    public async Task Reserved_names_in_any_case_and_padded_names_are_400_invalid_name_and_nothing_is_stored(string jsonName) =>
        await AssertRefusedAsInvalidNameAsync("roblox-sync", jsonName);

    [Fact]
    public async Task A_channel_name_ending_in_a_line_break_is_400_invalid_name_and_nothing_is_stored() =>
        await AssertRefusedAsInvalidNameAsync(@"roblox-sync\n", "e");

    private async Task AssertRefusedAsInvalidNameAsync(string jsonChannel, string jsonName)
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        var res = await http.PostAsync(plugin.BasePath + "/trigger",
            Json($"{{\"events\":[{{\"channel\":\"{jsonChannel}\",\"event\":\"{jsonName}\",\"data\":1}}]}}"));
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid_name", (string?)JObject.Parse(text)["code"]);
        Assert.Equal(0, Pending);
    }

    [Fact]
    public async Task A_retry_with_the_same_id_is_accepted_once()
    {
        var (plugin, http) = await _inbox.NewClientAsync();
        var body = "{\"events\":[{\"channel\":\"roblox-sync\",\"event\":\"e\",\"data\":1,\"id\":\"evt-1\"}]}";
        var first = JObject.Parse(await (await http.PostAsync(plugin.BasePath + "/trigger", Json(body))).Content.ReadAsStringAsync());
        var second = JObject.Parse(await (await http.PostAsync(plugin.BasePath + "/trigger", Json(body))).Content.ReadAsStringAsync());
        Assert.Equal(1, (int)first["accepted"]!);
        Assert.Equal(0, (int)second["accepted"]!);
        Assert.Equal(1, (int)second["duplicates"]!);
        Assert.Equal(1, Pending);
        var (other, otherHttp) = await _inbox.NewClientAsync(); // ids are per sender
        var third = JObject.Parse(await (await otherHttp.PostAsync(other.BasePath + "/trigger", Json(body))).Content.ReadAsStringAsync());
        Assert.Equal(1, (int)third["accepted"]!);
    }

    public void Dispose() => _relay.Dispose();
}
