using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Newtonsoft.Json.Linq;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Browser;

/// <summary>
/// Real soketi, the real relay process (CORS open to one loopback site only), two loopback
/// sites (one allowed, one not) and Chromium: shared by the browser tests of a class.
/// </summary>
public sealed class BrowserEnvironment : IAsyncLifetime
{
    private readonly string _dataDir = TempDirectory.New("relay-browser");

    public SoketiServer Soketi { get; private set; } = null!;
    public RelayProcess Relay { get; private set; } = null!;
    public LoopbackSite AllowedSite { get; private set; } = null!;
    public LoopbackSite OtherSite { get; private set; } = null!;
    public BrowserSession Browser { get; private set; } = null!;
    public HttpClient Http { get; } = new();

    public async Task InitializeAsync()
    {
        AllowedSite = new LoopbackSite();
        OtherSite = new LoopbackSite();
        Soketi = await SoketiServer.StartAsync();
        var env = RelayProcess.EnvironmentFor(Soketi, Path.Combine(_dataDir, "relay.db"));
        env["RELAY_CORS_ORIGINS"] = AllowedSite.Origin;
        Relay = await RelayProcess.StartAsync(typeof(Program).Assembly.Location, env);
        Http.BaseAddress = new Uri(Relay.BaseUrl);
        Browser = await BrowserSession.LaunchAsync();
    }

    public async Task<JObject> SendAsync(HttpMethod method, string path, string? bearer, object? body = null,
        HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (body is not null) request.Content = new StringContent(JObject.FromObject(body).ToString(), Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path} -> {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return text.Length == 0 ? new JObject() : JObject.Parse(text);
    }

    /// <summary>A game owned by <paramref name="educatorJwt"/>'s user with one live server; returns the server's token and job id.</summary>
    public async Task<(string Token, string JobId)> GameWithServerAsync(string educatorJwt, string gameId)
    {
        var key = await SendAsync(HttpMethod.Post, "/api/v1/games", educatorJwt, new { gameId, name = "Game " + gameId }, HttpStatusCode.Created);
        var jobId = "job-" + gameId;
        var session = await SendAsync(HttpMethod.Post, $"/api/v1/games/{gameId}/servers", (string)key["serverKey"]!,
            new { jobId, placeId = 4242 }, HttpStatusCode.Created);
        return ((string)session["accessToken"]!, jobId);
    }

    /// <summary>What a game server reports: its full roster (userId, name).</summary>
    public Task<JObject> ReportPlayersAsync(string gameId, (string Token, string JobId) server, params (long Id, string Name)[] players) =>
        SendAsync(HttpMethod.Put, $"/api/v1/games/{gameId}/servers/{server.JobId}/players", server.Token,
            new { players = players.Select(p => new { userId = p.Id, name = p.Name, displayName = "Display " + p.Name }).ToArray() });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        if (Relay is not null) await Relay.DisposeAsync();
        if (Soketi is not null) await Soketi.DisposeAsync();
        if (AllowedSite is not null) await AllowedSite.DisposeAsync();
        if (OtherSite is not null) await OtherSite.DisposeAsync();
        Http.Dispose();
    }
}

/// <summary>One browser environment for every browser test: one Chromium, one relay, one soketi.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserEnvironment>
{
    public const string Name = "Browser";
}
