using System.Net;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Tests.Support;

/// <summary>JSON in, status and JSON out, for terse tests.</summary>
public static class Http
{
    public static StringContent Json(object body) =>
        new(JsonConvert.SerializeObject(body), Encoding.UTF8, "application/json");

    public static async Task<(HttpStatusCode Status, JObject Body, HttpResponseMessage Response)> PostJsonAsync(
        this HttpClient http, string path, object body)
    {
        var res = await http.PostAsync(path, Json(body));
        return (res.StatusCode, await ReadAsync(res), res);
    }

    public static async Task<(HttpStatusCode Status, JObject Body)> GetJsonAsync(this HttpClient http, string path)
    {
        var res = await http.GetAsync(path);
        return (res.StatusCode, await ReadAsync(res));
    }

    public static async Task<JObject> ReadAsync(HttpResponseMessage res)
    {
        var text = await res.Content.ReadAsStringAsync();
        if (string.IsNullOrWhiteSpace(text)) return new JObject();
        try { return JToken.Parse(text) as JObject ?? new JObject { ["_"] = text }; }
        catch (JsonException) { return new JObject { ["_raw"] = text }; }
    }

    /// <summary>
    /// One <c>GET {basePath}/events</c> long-poll, as a Roblox client sends it; fails the test unless
    /// the relay answers 200, and returns the page (<c>events</c>, <c>next</c>, <c>gap</c>).
    /// </summary>
    public static async Task<JObject> PollEventsAsync(this HttpClient http, string basePath, long after = 0, int wait = 20, int? limit = null)
    {
        var url = $"{basePath}/events?after={after}&wait={wait}" + (limit is null ? "" : $"&limit={limit}");
        var res = await http.GetAsync(url);
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.OK, $"{url} -> {(int)res.StatusCode}: {body}");
        return JObject.Parse(body);
    }

    public static HttpClient WithBearer(this HttpClient http, string token)
    {
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }
}
