using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Tests.Games;

/// <summary>The API behind the console is documented with its response shapes, not just its paths.</summary>
public sealed class ConsoleApiOpenApiTests : IDisposable
{
    private readonly RelayFactory _relay = new();

    [Theory]
    [InlineData("/api/v1/games", "get", "games")]
    [InlineData("/api/v1/games/{gameId}", "get", "sessions")]
    [InlineData("/api/v1/plugins", "get", "plugins")]
    [InlineData("/api/v1/pairings/{userCode}", "get", "studioUserId")]
    [InlineData("/api/v1/console/events", "post", "event")]
    public async Task Each_console_endpoint_has_a_200_response_schema(string path, string method, string property)
    {
        var doc = JObject.Parse(await _relay.CreateClient().GetStringAsync("/openapi/v1.json"));
        var schema = doc["paths"]?[path]?[method]?["responses"]?["200"]?["content"]?["application/json"]?["schema"];
        Assert.True(schema is not null, $"{method} {path} has no 200 application/json schema");
        var reference = (string?)schema!["$ref"];
        var resolved = reference is null ? schema : doc.SelectToken(reference.TrimStart('#').Replace('/', '.').TrimStart('.'));
        Assert.True(resolved?["properties"]?[property] is not null, $"{method} {path}: no '{property}' in {resolved}");
    }

    public void Dispose() => _relay.Dispose();
}
