using System.Net;
using Realtime.Pusher.Rest;
using Realtime.Pusher.Tests.Support;
using Realtime.Pusher.Validation;

namespace Realtime.Pusher.Tests;

/// <summary>Every Pusher limit is enforced before any request leaves the process.</summary>
public class LimitsTests
{
    private readonly RecordingHandler _handler = RecordingHandler.Answering(HttpStatusCode.OK);
    private readonly PusherRestClient _client;

    public LimitsTests()
    {
        _client = new PusherRestClient(new PusherOptions { AppId = "1", Key = "key", Secret = "secret", Host = "pusher.test" }, _handler);
    }

    private async Task<PusherValidationException> AssertRejectedBeforeSending(Func<Task> call, string limit, string messagePart)
    {
        var e = await Assert.ThrowsAsync<PusherValidationException>(call);
        Assert.Equal(limit, e.Limit);
        Assert.Contains(messagePart, e.Message);
        Assert.Equal(0, _handler.Count);
        return e;
    }

    private static BatchEvent Event(int i) => new("ch", "ev" + i, "data");

    [Fact]
    public async Task Eleven_events_in_a_batch_are_rejected_before_sending()
    {
        var e = await AssertRejectedBeforeSending(
            () => _client.TriggerBatchAsync(Enumerable.Range(0, 11).Select(Event).ToList()),
            PusherLimits.BatchSizeLimit, "Pusher allows at most 10 events per batch trigger; got 11");
        Assert.IsAssignableFrom<ArgumentException>(e);
    }

    [Fact]
    public async Task Ten_events_in_a_batch_are_sent()
    {
        await _client.TriggerBatchAsync(Enumerable.Range(0, 10).Select(Event).ToList());
        Assert.Equal(1, _handler.Count);
    }

    [Fact]
    public async Task An_empty_batch_is_rejected_before_sending() =>
        await AssertRejectedBeforeSending(() => _client.TriggerBatchAsync([]), PusherLimits.BatchSizeLimit, "at least one event");

    [Fact]
    public async Task A_hundred_and_one_channels_are_rejected_before_sending() =>
        await AssertRejectedBeforeSending(
            () => _client.TriggerAsync(Enumerable.Range(0, 101).Select(i => "ch-" + i).ToList(), "ev", "data"),
            PusherLimits.ChannelCountLimit, "at most 100 channels per trigger; got 101");

    [Fact]
    public async Task A_hundred_channels_are_sent()
    {
        await _client.TriggerAsync(Enumerable.Range(0, 100).Select(i => "ch-" + i).ToList(), "ev", "data");
        Assert.Equal(1, _handler.Count);
    }

    [Fact]
    public async Task Ten_kilobytes_plus_one_byte_of_data_is_rejected_before_sending() =>
        await AssertRejectedBeforeSending(
            () => _client.TriggerAsync("ch", "ev", new string('x', 10 * 1024 + 1)),
            PusherLimits.DataSizeLimit, "at most 10240 bytes (10 KB) of event data; got 10241 bytes");

    [Fact]
    public async Task Exactly_ten_kilobytes_of_data_is_sent()
    {
        await _client.TriggerAsync("ch", "ev", new string('x', 10 * 1024));
        Assert.Equal(1, _handler.Count);
    }

    [Fact]
    public async Task Data_size_counts_utf8_bytes_not_characters() =>
        // 3414 × "€" (3 bytes each) = 10242 bytes in only 3414 characters.
        await AssertRejectedBeforeSending(
            () => _client.TriggerAsync("ch", "ev", new string('€', 3414)), PusherLimits.DataSizeLimit, "got 10242 bytes");

    [Fact]
    public async Task Object_data_is_measured_after_serialization() =>
        await AssertRejectedBeforeSending(
            () => _client.TriggerAsync("ch", "ev", new { text = new string('x', 10 * 1024 - 10) }), PusherLimits.DataSizeLimit, "10 KB");

    [Fact]
    public async Task Oversized_data_in_one_batch_event_rejects_the_whole_batch_before_sending() =>
        await AssertRejectedBeforeSending(
            () => _client.TriggerBatchAsync([Event(0), new BatchEvent("ch", "big", new string('x', 10241))]),
            PusherLimits.DataSizeLimit, "10 KB");

    [Theory]
    [InlineData("has space")]
    [InlineData("slash/y")]
    [InlineData("star*")]
    [InlineData("ünïcode")]
    [InlineData("")]
    public async Task A_bad_channel_name_is_rejected_before_sending(string channel) =>
        await AssertRejectedBeforeSending(() => _client.TriggerAsync(channel, "ev", "data"), PusherLimits.ChannelNameLimit, "channel name");

    [Fact]
    public async Task A_channel_name_of_165_characters_is_rejected_before_sending() =>
        await AssertRejectedBeforeSending(() => _client.TriggerAsync(new string('c', 165), "ev", "data"),
            PusherLimits.ChannelNameLimit, "at most 164 characters; got 165");

    [Fact]
    public async Task Every_allowed_punctuation_character_is_accepted_in_channel_names()
    {
        await _client.TriggerAsync("Az09_-=@,.;" + new string('c', 153), "ev", "data");
        Assert.Equal(1, _handler.Count);
    }

    [Fact]
    public async Task An_event_name_over_200_characters_is_rejected_before_sending() =>
        await AssertRejectedBeforeSending(() => _client.TriggerAsync("ch", new string('e', 201), "data"),
            PusherLimits.EventNameLimit, "at most 200 characters; got 201");

    [Theory]
    [InlineData("1234")]
    [InlineData("1234.")]
    [InlineData(".1234")]
    [InlineData("12a4.5")]
    [InlineData("1.2.3")]
    [InlineData("١٢.٣")] // Arabic-Indic digits match .NET's \d, not Pusher's
    [InlineData(" 1.2")]
    public async Task A_bad_socket_id_is_rejected_before_sending(string socketId) =>
        await AssertRejectedBeforeSending(() => _client.TriggerAsync("ch", "ev", "data", new TriggerOptions { SocketId = socketId }),
            PusherLimits.SocketIdLimit, "socket id");

    [Fact]
    public async Task A_bad_socket_id_in_a_batch_event_is_rejected_before_sending() =>
        await AssertRejectedBeforeSending(() => _client.TriggerBatchAsync([new BatchEvent("ch", "ev", "d", socketId: "nope")]),
            PusherLimits.SocketIdLimit, "socket id");

    [Fact]
    public async Task A_bad_channel_name_for_channel_info_is_rejected_before_sending() =>
        await AssertRejectedBeforeSending(() => _client.GetChannelAsync("bad name"), PusherLimits.ChannelNameLimit, "channel name");

    [Fact]
    public async Task Presence_users_of_a_non_presence_channel_are_rejected_before_sending() =>
        await AssertRejectedBeforeSending(() => _client.GetPresenceUsersAsync("private-x"), PusherLimits.ChannelTypeLimit, "presence");

    [Fact]
    public async Task An_empty_user_id_for_terminate_is_rejected_before_sending() =>
        await AssertRejectedBeforeSending(() => _client.TerminateUserConnectionsAsync(""), PusherLimits.UserIdLimit, "user id");
}
