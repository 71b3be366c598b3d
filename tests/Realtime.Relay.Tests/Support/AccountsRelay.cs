using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Tests.Support;

/// <summary>
/// An in-process relay with a clock the test moves and an inbox that records what it was
/// asked, plus the steps of pairing so tests can start from "a paired plugin".
/// </summary>
public sealed class AccountsRelay : IDisposable
{
    public AccountsRelay(IDictionary<string, string?>? settings = null)
    {
        Factory = new RelayFactory(settings, services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<IInboxLifecycle>(Inbox);
        });
    }

    public FakeTime Time { get; } = new();
    public RecordingInbox Inbox { get; } = new();
    public RelayFactory Factory { get; }

    public HttpClient Anonymous() => Factory.CreateClient();
    public HttpClient As(string sub, string role) => Factory.ClientAs(sub, role);
    public HttpClient WithToken(string token) => Factory.CreateClient().WithBearer(token);

    public async Task<JObject> StartAsync(object? body = null)
    {
        var (status, json, _) = await Anonymous().PostJsonAsync("/api/v1/pairings", body ?? new { placeId = 123, studioUserId = 789, pluginVersion = "1.0.0" });
        Assert.True(status == HttpStatusCode.Created, json.ToString());
        return json;
    }

    public Task<(HttpStatusCode Status, JObject Body, HttpResponseMessage Response)> PollAsync(string deviceCode) =>
        Anonymous().PostJsonAsync("/api/v1/pairings/token", new { deviceCode });

    public Task<(HttpStatusCode Status, JObject Body, HttpResponseMessage Response)> ApproveAsync(string sub, string userCode, string role = "educator") =>
        As(sub, role).PostJsonAsync("/api/v1/pairings/approve", new { userCode });

    public Task<(HttpStatusCode Status, JObject Body, HttpResponseMessage Response)> DenyAsync(string sub, string userCode, string role = "educator") =>
        As(sub, role).PostJsonAsync("/api/v1/pairings/deny", new { userCode });

    /// <summary>
    /// Start (naming <paramref name="gameId"/> if given: the owner must own that game), approve as
    /// <paramref name="owner"/>, exchange: a paired plugin's id and token.
    /// </summary>
    public async Task<(string PluginId, string Token)> PairAsync(string owner, string role = "educator", string? gameId = null)
    {
        var started = await StartAsync(gameId is null ? null : new { placeId = 123, gameId, studioUserId = 789, pluginVersion = "1.0.0" });
        var (approved, approval, _) = await ApproveAsync(owner, (string)started["userCode"]!, role);
        Assert.True(approved == HttpStatusCode.OK, approval.ToString());
        var (status, grant, _) = await PollAsync((string)started["deviceCode"]!);
        Assert.True(status == HttpStatusCode.OK, grant.ToString());
        return ((string)grant["pluginId"]!, (string)grant["accessToken"]!);
    }

    /// <summary>Creates a game owned by <paramref name="owner"/>; returns its server key.</summary>
    public async Task<string> CreateGameAsync(string gameId, string owner, string role = "educator")
    {
        var (status, body, _) = await As(owner, role).PostJsonAsync("/api/v1/games", new { gameId, name = "Game " + gameId });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return (string)body["serverKey"]!;
    }

    /// <summary>Every document of every collection, as JSON text (to look for secrets stored in clear).</summary>
    public string DatabaseText()
    {
        var db = Factory.Services.GetRequiredService<RelayDatabase>().Database;
        var sb = new StringBuilder();
        foreach (var name in db.GetCollectionNames())
            foreach (var doc in db.GetCollection(name).FindAll())
                sb.AppendLine(LiteDB.JsonSerializer.Serialize(doc));
        return sb.ToString();
    }

    /// <summary>The database files' raw bytes after a checkpoint, as Latin-1 text.</summary>
    public string DatabaseFileText()
    {
        var relayDb = Factory.Services.GetRequiredService<RelayDatabase>();
        relayDb.Database.Checkpoint();
        var sb = new StringBuilder();
        var dir = Path.GetDirectoryName(relayDb.FilePath)!;
        foreach (var file in Directory.GetFiles(dir))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            sb.Append(Encoding.Latin1.GetString(copy.ToArray()));
        }
        return sb.ToString();
    }

    public void Dispose() => Factory.Dispose();
}
