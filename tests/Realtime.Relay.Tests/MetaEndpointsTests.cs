using System.Net;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Tests;

public sealed class MetaEndpointsTests : IDisposable
{
    private readonly RelayFactory _relay = new();

    [Fact]
    public async Task Healthz_answers_ok_while_the_process_is_up()
    {
        var res = await _relay.CreateClient().GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
    }

    [Fact]
    public async Task Info_tells_clients_the_protocol_version_and_where_pusher_is()
    {
        var json = JObject.Parse(await _relay.CreateClient().GetStringAsync("/api/v1/info"));
        Assert.Equal(1, (int)json["protocolVersion"]!);
        Assert.False(string.IsNullOrEmpty((string?)json["version"]));
        Assert.Equal("app-key", (string?)json["pusher"]!["key"]);
        Assert.Equal("127.0.0.1", (string?)json["pusher"]!["host"]);
        Assert.Equal(1, (int)json["pusher"]!["port"]!);
        Assert.False((bool)json["pusher"]!["forceTLS"]!);
        Assert.Null(json["pusher"]!["secret"]);
        Assert.DoesNotContain("app-secret", json.ToString());
        Assert.Equal("litedb", (string?)json["store"]);
        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", (string?)json["nodeId"]);
    }

    [Fact]
    public async Task Info_names_the_node_that_answered_as_RELAY_NODE_ID_says()
    {
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["RELAY_NODE_ID"] = "relay-b" });
        var json = JObject.Parse(await relay.CreateClient().GetStringAsync("/api/v1/info"));
        Assert.Equal("relay-b", (string?)json["nodeId"]);
    }

    [Fact]
    public async Task Info_for_a_pusher_cluster_names_the_cluster_host_over_tls()
    {
        using var relay = new RelayFactory(new Dictionary<string, string?>
        {
            ["PUSHER_HOST"] = null, ["PUSHER_PORT"] = null, ["PUSHER_SCHEME"] = null, ["PUSHER_CLUSTER"] = "us2",
        });
        var json = JObject.Parse(await relay.CreateClient().GetStringAsync("/api/v1/info"));
        Assert.Equal("us2", (string?)json["pusher"]!["cluster"]);
        Assert.Equal("ws-us2.pusher.com", (string?)json["pusher"]!["host"]);
        Assert.Equal(443, (int)json["pusher"]!["port"]!);
        Assert.True((bool)json["pusher"]!["forceTLS"]!);
    }

    [Fact]
    public async Task Unknown_routes_are_404_problem_details_with_a_code()
    {
        var res = await _relay.CreateClient().GetAsync("/api/v1/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var json = JObject.Parse(await res.Content.ReadAsStringAsync());
        Assert.Equal("not_found", (string?)json["code"]);
        Assert.Equal(404, (int)json["status"]!);
    }

    [Fact]
    public async Task OpenApi_document_lists_the_pusher_auth_endpoint()
    {
        var json = JObject.Parse(await _relay.CreateClient().GetStringAsync("/openapi/v1.json"));
        Assert.NotNull(json["paths"]!["/api/v1/pusher/auth"]);
        Assert.NotNull(json["paths"]!["/api/v1/info"]);
    }

    [Fact]
    public async Task Metrics_are_served_in_prometheus_text_format()
    {
        var client = _relay.CreateClient();
        await client.GetAsync("/healthz");
        var text = await client.GetStringAsync("/metrics");
        Assert.Contains("http_requests_received_total", text);
    }

    [Fact]
    public async Task Bodies_over_64_KB_are_refused_with_413()
    {
        var client = _relay.ClientAs("u1", "educator");
        var body = new StringContent("socket_id=1.1&channel_name=presence-game-1&pad=" + new string('x', 64 * 1024),
            System.Text.Encoding.ASCII, "application/x-www-form-urlencoded");
        var res = await client.PostAsync("/api/v1/pusher/auth", body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, res.StatusCode);
        Assert.Equal("payload_too_large", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["code"]);
    }

    public void Dispose() => _relay.Dispose();
}
