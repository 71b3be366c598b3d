using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Pairing;

/// <summary>Whatever a client sends, pairing answers 4xx problems naming the fields — never 500.</summary>
public sealed class PairingInputTests : IDisposable
{
    private readonly AccountsRelay _relay = new();

    public static TheoryData<string, string, string> InvalidStarts => new()
    {
        { "{\"placeId\":-1}", "placeId", "anonymous" },
        { "{\"gameId\":\"has spaces\"}", "gameId", "anonymous" },
        { "{\"gameId\":\"" + new string('a', 65) + "\"}", "gameId", "anonymous" },
        { "{\"studioUserId\":-5}", "studioUserId", "anonymous" },
        { "{\"pluginVersion\":\"" + new string('1', 40) + "\"}", "pluginVersion", "anonymous" },
        { "{\"placeId\":\"not a number\"}", "placeId", "anonymous" },
        { "{\"placeId\":1.5}", "placeId", "anonymous" },
    };

    [Theory]
    [MemberData(nameof(InvalidStarts))]
    public async Task Invalid_start_fields_are_400_naming_the_field(string json, string field, string _)
    {
        var res = await _relay.Anonymous().PostAsync("/api/v1/pairings", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await Http.ReadAsync(res);
        Assert.True(res.StatusCode == HttpStatusCode.BadRequest, body.ToString());
        Assert.Equal("invalid_request", (string?)body["code"]);
        var errors = (JObject)body["errors"]!;
        Assert.Contains(errors.Properties(), p => p.Name.Contains(field, StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("/api/v1/pairings/token", "{}", "deviceCode")]
    [InlineData("/api/v1/pairings/token", "{\"deviceCode\":\"\"}", "deviceCode")]
    [InlineData("/api/v1/pairings/approve", "{\"userCode\":\"ABC\"}", "userCode")]
    [InlineData("/api/v1/pairings/approve", "{\"userCode\":\"AAAA-AAAA\"}", "userCode")] // vowels are never in a code
    [InlineData("/api/v1/pairings/approve", "{}", "userCode")]
    [InlineData("/api/v1/pairings/deny", "{\"userCode\":12}", "userCode")]
    public async Task Invalid_token_and_decision_bodies_are_400_naming_the_field(string path, string json, string field)
    {
        var res = await _relay.As("teacher-1", "educator").PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await Http.ReadAsync(res);
        Assert.True(res.StatusCode == HttpStatusCode.BadRequest, body.ToString());
        Assert.Equal("invalid_request", (string?)body["code"]);
        Assert.Contains(((JObject)body["errors"]!).Properties(), p => p.Name.Contains(field, StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("/api/v1/pairings")]
    [InlineData("/api/v1/pairings/token")]
    [InlineData("/api/v1/pairings/approve")]
    public async Task Broken_json_and_non_json_bodies_are_refused_without_a_500(string path)
    {
        var client = _relay.As("teacher-1", "educator");
        foreach (var content in new HttpContent[]
                 {
                     new StringContent("{not json", Encoding.UTF8, "application/json"),
                     new StringContent("[1,2,3]", Encoding.UTF8, "application/json"),
                     new StringContent("\"just a string\"", Encoding.UTF8, "application/json"),
                     new StringContent("deviceCode=x", Encoding.UTF8, "application/x-www-form-urlencoded"),
                     new StringContent("<xml/>", Encoding.UTF8, "text/xml"),
                 })
        {
            var res = await client.PostAsync(path, content);
            var body = await Http.ReadAsync(res);
            Assert.True(res.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType,
                $"{path} {content.Headers.ContentType}: {(int)res.StatusCode} {body}");
            Assert.NotNull(body["code"]);
        }
    }

    public void Dispose() => _relay.Dispose();
}
