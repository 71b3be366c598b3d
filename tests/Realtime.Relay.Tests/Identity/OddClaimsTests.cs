using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Identity;

/// <summary>
/// Validly signed platform JWTs whose claims have odd shapes: never a 5xx, and one decision
/// per token — every JWT route either reads the same user from it or refuses it with the
/// same code (README, "Platform users").
/// </summary>
public sealed class OddClaimsTests : IDisposable
{
    private readonly RelayFactory _relay = new();

    private static readonly string[] IdentityCodes = ["invalid_role", "invalid_subject", "unauthorized"];

    /// <summary>Claims laid over a well-formed educator token; a null value removes the claim.</summary>
    public static TheoryData<string, string> Shapes => new()
    {
        { "role-number", """{"role":1}""" },
        { "role-object", """{"role":{"name":"admin"}}""" },
        { "role-student-and-admin", """{"role":["student","admin"]}""" },
        { "role-admin-and-student", """{"role":["admin","student"]}""" },
        { "role-single-item-list", """{"role":["educator"]}""" },
        { "role-empty-list", """{"role":[]}""" },
        { "role-nested-list", """{"role":[["admin"]]}""" },
        { "role-true", """{"role":true}""" },
        { "role-null", """{"role":null}""" },
        { "role-missing", """{"role":"__remove__"}""" },
        { "role-other-case", """{"role":"Admin"}""" },
        { "role-padded", """{"role":" admin"}""" },
        { "role-unknown", """{"role":"superuser"}""" },
        { "name-list", """{"name":["a","b"]}""" },
        { "name-object", """{"name":{"first":"a"}}""" },
        { "name-number", """{"name":5}""" },
        { "name-null", """{"name":null}""" },
        { "name-with-line-break", """{"name":"a\nb"}""" },
        { "name-huge", "{\"name\":\"" + new string('n', 5000) + "\"}" },
        { "classes-string", """{"classes":"c1, c2"}""" },
        { "classes-number", """{"classes":7}""" },
        { "classes-nested", """{"classes":[["c1"],{"id":"c2"},3,true,null]}""" },
        { "classes-object", """{"classes":{"id":"c1"}}""" },
        { "sub-missing", """{"sub":"__remove__"}""" },
        { "sub-empty", """{"sub":""}""" },
        { "sub-blank", """{"sub":"   "}""" },
        { "sub-huge", "{\"sub\":\"" + new string('s', 5000) + "\"}" },
        { "sub-number", """{"sub":123}""" },
        { "sub-list", """{"sub":["a","b"]}""" },
        { "sub-object", """{"sub":{"id":"a"}}""" },
        { "sub-null", """{"sub":null}""" },
        { "sub-with-line-break", """{"sub":"a\r\nb"}""" },
    };

    private static string TokenWith(string overrides)
    {
        var now = DateTimeOffset.UtcNow;
        var payload = new JObject
        {
            ["sub"] = "odd-user", ["name"] = "Odd", ["role"] = "educator",
            ["iat"] = now.ToUnixTimeSeconds(), ["exp"] = now.AddHours(1).ToUnixTimeSeconds(),
        };
        foreach (var (key, value) in JObject.Parse(overrides))
        {
            if (value is JValue { Value: "__remove__" }) payload.Remove(key);
            else payload[key] = value;
        }
        return TestJwt.Sign(payload, TestJwt.Secret);
    }

    private static IEnumerable<HttpRequestMessage> EveryJwtRoute()
    {
        static HttpRequestMessage Json(HttpMethod method, string path, string body) =>
            new(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        static HttpRequestMessage Form(string path, string body) =>
            new(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
        yield return new HttpRequestMessage(HttpMethod.Get, "/api/v1/plugins");
        yield return new HttpRequestMessage(HttpMethod.Delete, "/api/v1/plugins/p-odd");
        yield return Form("/api/v1/pusher/auth", "socket_id=123.456&channel_name=presence-game-1");
        yield return Form("/api/v1/pusher/auth", "socket_id=123.456&channel_name=private-user-odd-user");
        yield return Form("/api/v1/pusher/user-auth", "socket_id=123.456");
        yield return Json(HttpMethod.Post, "/api/v1/pairings/approve", """{"userCode":"BCDF-GHJK"}""");
        yield return Json(HttpMethod.Post, "/api/v1/pairings/deny", """{"userCode":"BCDF-GHJK"}""");
        yield return Json(HttpMethod.Post, "/api/v1/games", """{"gameId":"odd-game","name":"Odd"}""");
        yield return new HttpRequestMessage(HttpMethod.Post, "/api/v1/games/odd-game/keys/rotate");
        yield return new HttpRequestMessage(HttpMethod.Get, "/api/v1/games/odd-game/players");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Odd_claim_shapes_never_give_a_server_error_and_every_jwt_route_decides_alike(string shape, string overrides)
    {
        var http = _relay.CreateClient().WithBearer(TokenWith(overrides));
        var answers = new List<(string Route, int Status, string? Code)>();
        foreach (var request in EveryJwtRoute())
        {
            using (request)
            using (var res = await http.SendAsync(request))
            {
                var text = await res.Content.ReadAsStringAsync();
                var code = text.StartsWith('{') ? (string?)JObject.Parse(text)["code"] : null;
                answers.Add(($"{request.Method} {request.RequestUri}", (int)res.StatusCode, code));
            }
        }
        var report = shape + ":\n" + string.Join("\n", answers.Select(a => $"{a.Route} -> {a.Status} {a.Code}"));
        Assert.True(answers.All(a => a.Status < 500), report);
        var identityRefusals = answers.Where(a => IdentityCodes.Contains(a.Code)).Select(a => a.Code).Distinct().ToList();
        // Either no route refused who the token names, or every route refused it for the same reason.
        Assert.True(identityRefusals.Count == 0 || (identityRefusals.Count == 1 && answers.All(a => a.Code == identityRefusals[0])), report);
    }

    [Theory]
    [InlineData("""{"role":["student","admin"]}""")]
    [InlineData("""{"role":["admin","student"]}""")]
    public async Task A_role_list_holding_student_and_admin_is_refused_as_invalid_role_by_every_jwt_route(string overrides)
    {
        var http = _relay.CreateClient().WithBearer(TokenWith(overrides));
        foreach (var request in EveryJwtRoute())
        {
            using (request)
            using (var res = await http.SendAsync(request))
            {
                var text = await res.Content.ReadAsStringAsync();
                Assert.True(res.StatusCode == HttpStatusCode.Forbidden, $"{request.Method} {request.RequestUri} -> {(int)res.StatusCode} {text}");
                Assert.Equal("invalid_role", (string?)JObject.Parse(text)["code"]);
            }
        }
    }

    [Theory]
    [InlineData("""{"sub":""}""")]
    [InlineData("""{"sub":"   "}""")]
    [InlineData("""{"sub":"a\r\nb"}""")]
    public async Task A_signed_token_with_an_empty_or_unprintable_sub_is_403_invalid_subject_not_500(string overrides)
    {
        var http = _relay.CreateClient().WithBearer(TokenWith(overrides));
        using var res = await http.GetAsync("/api/v1/plugins");
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.Forbidden, text);
        Assert.Equal("invalid_subject", (string?)JObject.Parse(text)["code"]);
    }

    public void Dispose() => _relay.Dispose();
}
