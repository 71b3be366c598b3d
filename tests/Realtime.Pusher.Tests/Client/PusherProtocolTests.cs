using Newtonsoft.Json.Linq;
using Realtime.Pusher.Client;

namespace Realtime.Pusher.Tests.Client;

public sealed class PusherProtocolTests
{
    [Fact]
    public void Double_encoded_json_data_is_parsed_and_the_raw_string_kept()
    {
        var m = PusherProtocol.Parse("{\"event\":\"update\",\"channel\":\"c\",\"data\":\"{\\\"a\\\":1,\\\"b\\\":[true,null]}\"}");
        Assert.Equal("update", m.Event);
        Assert.Equal("c", m.Channel);
        Assert.Equal(JTokenType.Object, m.Data!.Type);
        Assert.Equal(1, (int)m.Data["a"]!);
        Assert.Equal("{\"a\":1,\"b\":[true,null]}", m.RawData);
    }

    [Theory]
    [InlineData("\"42\"", JTokenType.Integer, "42")]
    [InlineData("\"1.5\"", JTokenType.Float, "1.5")]
    [InlineData("\"true\"", JTokenType.Boolean, "true")]
    [InlineData("\"null\"", JTokenType.Null, "null")]
    [InlineData("\"\\\"quoted\\\"\"", JTokenType.String, "\"quoted\"")]
    [InlineData("\" [1, 2] \"", JTokenType.Array, " [1, 2] ")]
    public void Json_in_a_string_becomes_its_value_as_JSON_parse_would(string dataJson, JTokenType type, string raw)
    {
        var m = PusherProtocol.Parse("{\"event\":\"e\",\"data\":" + dataJson + "}");
        Assert.Equal(type, m.Data!.Type);
        Assert.Equal(raw, m.RawData);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("")]
    [InlineData("{'single':1}")]
    [InlineData("{unquoted:1}")]
    [InlineData("NaN")]
    [InlineData("[1,]")]
    [InlineData("{\"a\":1} // comment")]
    [InlineData("{\"a\":1}{\"b\":2}")]
    public void Strings_JSON_parse_would_reject_stay_strings(string text)
    {
        var m = PusherProtocol.Parse("{\"event\":\"e\",\"data\":" + Realtime.Pusher.Json.JsJson.Quote(text) + "}");
        Assert.Equal(JTokenType.String, m.Data!.Type);
        Assert.Equal(text, (string?)m.Data);
        Assert.Equal(text, m.RawData);
    }

    [Fact]
    public void Data_that_is_not_a_string_is_used_as_it_is_and_its_json_is_the_raw_data()
    {
        var m = PusherProtocol.Parse("{\"event\":\"pusher:error\",\"data\":{\"code\":4001,\"message\":\"App key x does not exist.\"}}");
        Assert.Equal(4001, (int)m.Data!["code"]!);
        Assert.Equal("{\"code\":4001,\"message\":\"App key x does not exist.\"}", m.RawData);
        Assert.Null(m.Channel);
    }

    [Fact]
    public void Missing_data_is_null_and_user_id_is_read_as_a_string()
    {
        var m = PusherProtocol.Parse("{\"event\":\"client-x\",\"channel\":\"presence-a\",\"user_id\":12}");
        Assert.Null(m.Data);
        Assert.Null(m.RawData);
        Assert.Equal("12", m.UserId);
        Assert.Equal("u-1", PusherProtocol.Parse("{\"event\":\"e\",\"user_id\":\"u-1\"}").UserId);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"data\":\"x\"}")]
    [InlineData("{\"event\":\"\"}")]
    [InlineData("{\"event\":5}")]
    public void Frames_that_are_not_pusher_messages_are_rejected(string frame)
    {
        Assert.Throws<PusherProtocolException>(() => PusherProtocol.Parse(frame));
    }

    [Fact]
    public void Outgoing_frames_are_what_pusher_js_sends()
    {
        Assert.Equal("{\"event\":\"pusher:ping\",\"data\":{}}", PusherProtocol.Ping());
        Assert.Equal("{\"event\":\"pusher:pong\",\"data\":{}}", PusherProtocol.Pong());
        Assert.Equal("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"news\"}}", PusherProtocol.Subscribe("news"));
        Assert.Equal("{\"event\":\"pusher:subscribe\",\"data\":{\"auth\":\"k:sig\",\"channel_data\":\"{\\\"user_id\\\":\\\"1\\\"}\",\"channel\":\"presence-a\"}}",
            PusherProtocol.Subscribe("presence-a", "k:sig", "{\"user_id\":\"1\"}"));
        Assert.Equal("{\"event\":\"pusher:unsubscribe\",\"data\":{\"channel\":\"news\"}}", PusherProtocol.Unsubscribe("news"));
        Assert.Equal("{\"event\":\"client-typing\",\"data\":{\"who\":\"me\"},\"channel\":\"private-a\"}",
            PusherProtocol.ClientEvent("private-a", "client-typing", JObject.Parse("{\"who\":\"me\"}")));
        Assert.Equal("{\"event\":\"pusher:signin\",\"data\":{\"auth\":\"k:s\",\"user_data\":\"{\\\"id\\\":\\\"1\\\"}\"}}",
            PusherProtocol.SignIn("k:s", "{\"id\":\"1\"}"));
    }

    [Fact]
    public void The_connection_url_follows_protocol_7()
    {
        var local = new PusherOptions { AppId = "1", Key = "app-key", Secret = "s", Host = "127.0.0.1", Port = 6001, Scheme = "http" };
        Assert.Equal("ws://127.0.0.1:6001/app/app-key?protocol=7&client=realtime-dotnet&version=1.0.0&flash=false",
            PusherProtocol.ConnectionUri(local, new PusherClientOptions()).ToString());
        var cluster = new PusherOptions { AppId = "1", Key = "abc", Secret = "s", Cluster = "eu" };
        Assert.Equal("wss://ws-eu.pusher.com/app/abc?protocol=7&client=realtime-dotnet&version=1.0.0&flash=false",
            PusherProtocol.ConnectionUri(cluster, new PusherClientOptions()).ToString());
    }

    [Fact]
    public void Presence_members_are_read_from_the_subscription_succeeded_hash()
    {
        var data = JToken.Parse("{\"presence\":{\"ids\":[\"1\",\"2\"],\"hash\":{\"1\":{\"name\":\"A\"},\"2\":null},\"count\":2}}");
        var members = PusherSubscription.ParseMembers(data);
        Assert.Equal(["1", "2"], members.Keys);
        Assert.Equal("A", (string?)members["1"]!["name"]);
        Assert.Empty(PusherSubscription.ParseMembers(null));
        Assert.Empty(PusherSubscription.ParseMembers(JToken.Parse("{}")));
    }

    [Theory]
    [InlineData("news", PusherChannelType.Public)]
    [InlineData("private-plugin-1", PusherChannelType.Private)]
    [InlineData("presence-game-7", PusherChannelType.Presence)]
    [InlineData("cache-x", PusherChannelType.Public)]
    public void Channel_types_come_from_the_name(string channel, PusherChannelType type) =>
        Assert.Equal(type, PusherSubscription.TypeOf(channel));
}
