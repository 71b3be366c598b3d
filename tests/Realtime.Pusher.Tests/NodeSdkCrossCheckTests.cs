using System.Net;
using System.Text;
using System.Web;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Json;
using Realtime.Pusher.Rest;
using Realtime.Pusher.Tests.Support;

namespace Realtime.Pusher.Tests;

/// <summary>
/// Agreement with the official Pusher Node server SDK (`pusher` 5.3.4, in node_modules) on a few
/// hundred seeded random inputs: channel auth (private and presence), user auth, webhook
/// signatures, trigger and batch bodies with their signed query strings, and plain signed GETs.
/// The inputs go to tests/js/pusher-sdk-vectors.mjs in a temp JSON file; results come back the same way.
/// </summary>
public class NodeSdkCrossCheckTests
{
    private const string Key = "a1b2c3d4e5f6a7b8c9d0";
    private const string Secret = "9f8e7d6c5b4a39281706";
    private const string AppId = "424242";
    private const int Seed = 20261125;
    private const int N = 60; // per category; six categories → 360 inputs

    private const string ChannelChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-=@,.;";
    private static readonly string[] Unicode =
    [
        "é", "ü", "ß", "Ω", "ж", "中文", "日本語", "한국어", "😀", "🚀", "👩‍💻", "\u2028", "\u2029", "\u0085", "\"", "\\", "/",
        "\n", "\t", "\r", "\b", "\f", "\u0001", "\u001f", "\u007f", "<script>", "&amp;", "'", " ", "{}", "[]", ":", ",",
    ];

    private static readonly Lazy<Task<(JObject Input, JObject Output, Generated Ours)>> Run = new(RunAsync);

    private sealed record Generated(
        List<ChannelAuthorization> ChannelAuth,
        List<UserAuthentication> UserAuth,
        List<string> WebhookSignatures,
        List<RecordedRequest> Triggers,
        List<RecordedRequest> Batches,
        List<SignedQuery> Requests);

    [Fact]
    public async Task Channel_authorization_agrees_with_the_node_sdk()
    {
        var (input, output, ours) = await Run.Value;
        var expected = (JArray)output["channelAuth"]!;
        Assert.Equal(N * 2, expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var why = $"channelAuth[{i}] {input["channelAuth"]![i]!.ToString(Newtonsoft.Json.Formatting.None)}";
            Assert.True(expected[i]!["error"] is null, why + " node error: " + expected[i]!["error"]);
            Assert.True((string)expected[i]!["auth"]! == ours.ChannelAuth[i].Auth, why);
            Assert.True((string?)expected[i]!["channel_data"] == ours.ChannelAuth[i].ChannelData, why);
        }
    }

    [Fact]
    public async Task User_authentication_agrees_with_the_node_sdk()
    {
        var (input, output, ours) = await Run.Value;
        var expected = (JArray)output["userAuth"]!;
        Assert.Equal(N, expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var why = $"userAuth[{i}] {input["userAuth"]![i]!.ToString(Newtonsoft.Json.Formatting.None)}";
            Assert.True(expected[i]!["error"] is null, why + " node error: " + expected[i]!["error"]);
            Assert.True((string)expected[i]!["auth"]! == ours.UserAuth[i].Auth, why);
            Assert.True((string)expected[i]!["user_data"]! == ours.UserAuth[i].UserData, why);
        }
    }

    [Fact]
    public async Task Webhook_signatures_agree_with_the_node_sdk_both_ways()
    {
        var (input, output, ours) = await Run.Value;
        var expected = (JArray)output["webhooks"]!;
        var authorizer = new PusherAuthorizer(Key, Secret);
        Assert.Equal(N, expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var body = (string)input["webhooks"]![i]!["body"]!;
            var nodeSignature = (string)expected[i]!["signature"]!;
            Assert.Equal(nodeSignature, ours.WebhookSignatures[i]);
            Assert.True((bool)expected[i]!["validWithGivenSignature"]!, $"node rejected our signature for webhook {i}");
            var verified = authorizer.VerifyWebhook(Key, nodeSignature, body);
            Assert.True(verified.IsValid, $"webhook {i}: {verified.Error}");
            var nodeEvents = (JArray)expected[i]!["events"]!;
            Assert.Equal(nodeEvents.Count, verified.Webhook!.Events.Count);
            for (var e = 0; e < nodeEvents.Count; e++)
            {
                Assert.Equal((string)nodeEvents[e]!["name"]!, verified.Webhook.Events[e].Name);
                Assert.Equal((string?)nodeEvents[e]!["channel"], verified.Webhook.Events[e].Channel);
                Assert.True(JToken.DeepEquals(nodeEvents[e], verified.Webhook.Events[e].Raw), $"webhook {i} event {e}");
            }
        }
    }

    [Fact]
    public async Task Trigger_bodies_and_signed_queries_agree_with_the_node_sdk()
    {
        var (input, output, ours) = await Run.Value;
        AssertSameRequests("triggers", (JArray)input["triggers"]!, (JArray)output["triggers"]!, ours.Triggers);
    }

    [Fact]
    public async Task Batch_bodies_and_signed_queries_agree_with_the_node_sdk()
    {
        var (input, output, ours) = await Run.Value;
        AssertSameRequests("batches", (JArray)input["batches"]!, (JArray)output["batches"]!, ours.Batches);
    }

    [Fact]
    public async Task Signed_query_strings_with_parameters_agree_with_the_node_sdk()
    {
        var (input, output, ours) = await Run.Value;
        var expected = (JArray)output["requests"]!;
        Assert.Equal(N, expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i]!["error"] is null, $"requests[{i}] node error: " + expected[i]!["error"]);
            Assert.True((string)expected[i]!["query"]! == ours.Requests[i].RawQueryString,
                $"requests[{i}] {input["requests"]![i]!.ToString(Newtonsoft.Json.Formatting.None)}\nnode: {expected[i]!["query"]}\nours: {ours.Requests[i].RawQueryString}");
        }
    }

    private static void AssertSameRequests(string what, JArray inputs, JArray expected, List<RecordedRequest> ours)
    {
        Assert.Equal(N, expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var why = $"{what}[{i}] {inputs[i]!.ToString(Newtonsoft.Json.Formatting.None)}";
            Assert.True(expected[i]!["error"] is null, why + " node error: " + expected[i]!["error"]);
            Assert.True((string)expected[i]!["path"]! == ours[i].Uri.AbsolutePath, why);
            Assert.True((string)expected[i]!["body"]! == ours[i].Body, $"{why}\nnode: {expected[i]!["body"]}\nours: {ours[i].Body}");
            var ourQuery = DecodedQuery(ours[i].Uri);
            Assert.True((string)expected[i]!["query"]! == ourQuery, $"{why}\nnode: {expected[i]!["query"]}\nours: {ourQuery}");
        }
    }

    /// <summary>The query we sent, decoded, in the order sent — comparable with the Node SDK's unencoded query.</summary>
    private static string DecodedQuery(Uri uri) =>
        string.Join("&", uri.Query.TrimStart('?').Split('&').Select(pair =>
        {
            var eq = pair.IndexOf('=');
            return HttpUtility.UrlDecode(pair[..eq]) + "=" + Uri.UnescapeDataString(pair[(eq + 1)..]);
        }));

    // ------------------------------------------------------------------ generation

    private static async Task<(JObject, JObject, Generated)> RunAsync()
    {
        var rng = new Random(Seed);
        var authorizer = new PusherAuthorizer(Key, Secret);
        var input = new JObject { ["key"] = Key, ["secret"] = Secret, ["appId"] = AppId };
        var ours = new Generated([], [], [], [], [], []);

        // Channel auth: N private (no data) and N presence (user_id + unicode user_info).
        var channelAuth = new JArray();
        for (var i = 0; i < N; i++)
        {
            var socketId = SocketId(rng);
            var channel = "private-" + ChannelName(rng, 150);
            channelAuth.Add(new JObject { ["socketId"] = socketId, ["channel"] = channel });
            ours.ChannelAuth.Add(authorizer.AuthorizePrivateChannel(socketId, channel));
        }
        for (var i = 0; i < N; i++)
        {
            var socketId = SocketId(rng);
            var channel = "presence-" + ChannelName(rng, 150);
            var userId = i % 7 == 0 ? Text(rng, 1, 12) : "user-" + rng.Next(1, 1_000_000);
            JToken? userInfo = i % 5 == 0 ? null : RandomObject(rng, depth: 0);
            var data = new JObject { ["user_id"] = userId };
            if (userInfo is not null) data["user_info"] = userInfo;
            channelAuth.Add(new JObject { ["socketId"] = socketId, ["channel"] = channel, ["channelData"] = data });
            ours.ChannelAuth.Add(authorizer.AuthorizePresenceChannel(socketId, channel, userId, userInfo));
        }
        input["channelAuth"] = channelAuth;

        // User auth (pusher:signin).
        var userAuth = new JArray();
        for (var i = 0; i < N; i++)
        {
            var socketId = SocketId(rng);
            if (i % 2 == 0)
            {
                var user = new PusherUser
                {
                    Id = i % 6 == 0 ? Text(rng, 1, 10) : "u" + rng.Next(),
                    UserInfo = rng.Next(3) == 0 ? null : RandomObject(rng, 0),
                    Watchlist = rng.Next(3) == 0 ? null : Enumerable.Range(0, rng.Next(0, 4)).Select(_ => "w" + rng.Next(1000)).ToList(),
                };
                var data = new JObject { ["id"] = user.Id };
                if (user.UserInfo is not null) data["user_info"] = (JToken)user.UserInfo;
                if (user.Watchlist is not null) data["watchlist"] = new JArray(user.Watchlist);
                userAuth.Add(new JObject { ["socketId"] = socketId, ["userData"] = data });
                ours.UserAuth.Add(authorizer.AuthenticateUser(socketId, user));
            }
            else
            {
                var data = (JObject)RandomObject(rng, 0);
                data.AddFirst(new JProperty("id", "id-" + Text(rng, 1, 8)));
                userAuth.Add(new JObject { ["socketId"] = socketId, ["userData"] = data });
                ours.UserAuth.Add(authorizer.AuthenticateUser(socketId, (object)data.DeepClone()));
            }
        }
        input["userAuth"] = userAuth;

        // Webhooks: bodies as Pusher would send them (some with unicode client event data).
        var webhooks = new JArray();
        string[] names = ["channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event", "subscription_count"];
        for (var i = 0; i < N; i++)
        {
            var events = new JArray();
            for (var e = 0; e < rng.Next(1, 5); e++)
            {
                var name = names[rng.Next(names.Length)];
                var ev = new JObject { ["name"] = name, ["channel"] = "presence-" + ChannelName(rng, 40) };
                if (name is "member_added" or "member_removed") ev["user_id"] = "u" + rng.Next(1000);
                if (name == "client_event")
                {
                    ev["event"] = "client-" + Text(rng, 1, 10);
                    ev["data"] = JsJson.Stringify(RandomObject(rng, 0));
                    ev["socket_id"] = SocketId(rng);
                }
                if (name == "subscription_count") ev["subscription_count"] = rng.Next(0, 500);
                events.Add(ev);
            }
            var body = JsJson.Stringify(new JObject { ["time_ms"] = 1700000000000L + rng.Next(), ["events"] = events });
            if (i % 4 == 0) body = body.Replace(",", ", "); // signatures cover the raw bytes, whatever the formatting
            var signature = PusherSignature.Sign(Secret, body);
            webhooks.Add(new JObject { ["body"] = body, ["signature"] = signature });
            ours.WebhookSignatures.Add(signature);
        }
        input["webhooks"] = webhooks;

        // Triggers through the real client with a recording handler and a fixed clock.
        var triggers = new JArray();
        for (var i = 0; i < N; i++)
        {
            var timestamp = 1_600_000_000L + rng.Next(0, 500_000_000) /* node truncates to int32 */;
            var channels = Enumerable.Range(0, i % 10 == 0 ? rng.Next(50, 101) : rng.Next(1, 4))
                .Select(_ => ChannelName(rng, 164)).ToList();
            var eventName = Text(rng, 1, 60);
            var (dataForNode, dataForUs, dataKey) = RandomData(rng);
            var options = new TriggerOptions
            {
                SocketId = rng.Next(2) == 0 ? SocketId(rng) : null,
                Info = rng.Next(3) switch { 0 => [PusherInfo.SubscriptionCount], 1 => [PusherInfo.SubscriptionCount, PusherInfo.UserCount], _ => null },
            };
            var item = new JObject { ["timestamp"] = timestamp, ["channels"] = new JArray(channels), ["event"] = eventName, [dataKey] = dataForNode };
            var p = new JObject();
            if (options.SocketId is not null) p["socket_id"] = options.SocketId;
            if (options.Info is not null) p["info"] = string.Join(",", options.Info);
            if (p.Count > 0) item["params"] = p;
            triggers.Add(item);

            var handler = RecordingHandler.Answering(HttpStatusCode.OK);
            using var client = Client(handler, timestamp);
            await client.TriggerAsync(channels, eventName, dataForUs, options);
            ours.Triggers.Add(Assert.Single(handler.Requests));
        }
        input["triggers"] = triggers;

        var batches = new JArray();
        for (var i = 0; i < N; i++)
        {
            var timestamp = 1_600_000_000L + rng.Next(0, 500_000_000) /* node truncates to int32 */;
            var nodeBatch = new JArray();
            var ourBatch = new List<BatchEvent>();
            for (var e = 0; e < rng.Next(1, 11); e++)
            {
                var channel = ChannelName(rng, 164);
                var name = Text(rng, 1, 40);
                var (dataForNode, dataForUs, dataKey) = RandomData(rng);
                var socketId = rng.Next(3) == 0 ? SocketId(rng) : null;
                IReadOnlyList<string>? info = rng.Next(3) == 0 ? [PusherInfo.SubscriptionCount] : null;
                var n = new JObject { ["channel"] = channel, ["name"] = name, [dataKey] = dataForNode };
                if (socketId is not null) n["socket_id"] = socketId;
                if (info is not null) n["info"] = string.Join(",", info);
                nodeBatch.Add(n);
                ourBatch.Add(new BatchEvent(channel, name, dataForUs, socketId, info));
            }
            batches.Add(new JObject { ["timestamp"] = timestamp, ["batch"] = nodeBatch });
            var handler = RecordingHandler.Answering(HttpStatusCode.OK, "{\"batch\":[]}");
            using var client = Client(handler, timestamp);
            await client.TriggerBatchAsync(ourBatch);
            ours.Batches.Add(Assert.Single(handler.Requests));
        }
        input["batches"] = batches;

        // Plain signed requests with query parameters (channel list / info style) and optional bodies.
        var requests = new JArray();
        var signer = new RequestSigner(Key, Secret);
        for (var i = 0; i < N; i++)
        {
            var timestamp = 1_600_000_000L + rng.Next(0, 500_000_000) /* node truncates to int32 */;
            var method = rng.Next(2) == 0 ? "GET" : "POST";
            var path = "/apps/" + AppId + (rng.Next(2) == 0 ? "/channels" : "/channels/" + ChannelName(rng, 60));
            var parameters = new List<KeyValuePair<string, string>>();
            string[] keys = ["info", "filter_by_prefix", "a", "z", "_under", "x9", "zz-top", "b.c"];
            foreach (var k in keys.OrderBy(_ => rng.Next()).Take(rng.Next(0, 5)))
                parameters.Add(new(k, rng.Next(2) == 0 ? ChannelName(rng, 30) : Text(rng, 0, 20)));
            var body = method == "POST" && rng.Next(2) == 0 ? JsJson.Stringify(RandomObject(rng, 0)) : null;
            var r = new JObject { ["timestamp"] = timestamp, ["method"] = method, ["path"] = path, ["params"] = Params(parameters) };
            if (body is not null) r["body"] = body;
            requests.Add(r);
            ours.Requests.Add(signer.Sign(method, path, parameters, body, timestamp));
        }
        input["requests"] = requests;

        var output = await NodeScript.RunAsync("pusher-sdk-vectors.mjs", input);
        return (input, output, ours);
    }

    private static JObject Params(List<KeyValuePair<string, string>> parameters)
    {
        var o = new JObject();
        foreach (var (k, v) in parameters) o[k] = v;
        return o;
    }

    private static PusherRestClient Client(HttpMessageHandler handler, long timestamp) =>
        new(new PusherOptions { AppId = AppId, Key = Key, Secret = Secret, Host = "pusher.test", Scheme = "https" },
            handler, FixedTimeProvider.AtUnixSeconds(timestamp));

    private static string SocketId(Random rng) => $"{rng.NextInt64(0, 10_000_000_000)}.{rng.NextInt64(0, 10_000_000_000)}";

    private static string ChannelName(Random rng, int maxLength)
    {
        var length = rng.Next(1, maxLength + 1);
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++) sb.Append(ChannelChars[rng.Next(ChannelChars.Length)]);
        return sb.ToString();
    }

    private static string Text(Random rng, int minPieces, int maxPieces)
    {
        var sb = new StringBuilder();
        var pieces = rng.Next(minPieces, maxPieces + 1);
        for (var i = 0; i < pieces; i++)
            sb.Append(rng.Next(3) == 0 ? Unicode[rng.Next(Unicode.Length)] : ((char)rng.Next('a', 'z' + 1)).ToString());
        return sb.ToString();
    }

    /// <summary>Random JSON objects: strings with unicode, integers, doubles, booleans, nulls, arrays, nesting.</summary>
    private static JToken RandomObject(Random rng, int depth)
    {
        var o = new JObject();
        for (var i = 0; i < rng.Next(1, 5); i++)
        {
            // Keys that look like array indices are reordered by JavaScript objects; avoid them.
            var key = "k" + Text(rng, 0, 4);
            o[key] = RandomValue(rng, depth + 1);
        }
        return o;
    }

    private static JToken RandomValue(Random rng, int depth) => rng.Next(depth > 2 ? 6 : 8) switch
    {
        0 => Text(rng, 0, 12),
        1 => rng.Next(-1_000_000, 1_000_000),
        2 => new[] { 0.5, -1.25, 3.14159, 1e21, 1.5e-7, 123456789.125, 1e-6, 2e20, 0.1 + 0.2, -0.0 }[rng.Next(10)],
        3 => rng.Next(2) == 0,
        4 => JValue.CreateNull(),
        5 => rng.NextInt64(-9007199254740991, 9007199254740991),
        6 => new JArray(Enumerable.Range(0, rng.Next(0, 4)).Select(_ => RandomValue(rng, depth + 1))),
        _ => RandomObject(rng, depth),
    };

    /// <summary>Event data: half strings (sent as is), half objects (serialized like JSON.stringify).</summary>
    private static (JToken ForNode, object ForUs, string Key) RandomData(Random rng)
    {
        if (rng.Next(2) == 0)
        {
            var s = rng.Next(4) == 0 ? JsJson.Stringify(RandomObject(rng, 0)) : Text(rng, 0, 200);
            return (s, s, "data");
        }
        var o = RandomObject(rng, 0);
        return (o, o.DeepClone(), "dataObject");
    }
}
