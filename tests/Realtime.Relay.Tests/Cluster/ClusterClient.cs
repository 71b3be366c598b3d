using System.Net;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.Tests.Cluster;

/// <summary>
/// One Roblox client of the cluster test (a paired plugin or a registered game server) behaving as
/// the Luau modules do: it long-polls its inbox through the load balancer with its cursor, retries
/// any answer that is not 200 (a killed node, Redis restarting), and keeps what it was delivered.
/// A game server also reports its players and publishes numbered events to its game's presence
/// channel, retrying a trigger with the same id until one answer is 202.
/// </summary>
public sealed class ClusterClient(string name, string basePath, string token, string channel, string lbUrl)
{
    private readonly object _gate = new();
    private readonly List<long> _rounds = new();
    private readonly List<string> _violations = new();
    private readonly List<string> _accepted = new();
    private long _cursor;
    private int _gaps;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => name;
    public string BasePathInbox => GameId is null ? "plugin:" + basePath.Split('/')[^1] : $"server:{GameId}:{basePath.Split('/')[^1]}";
    public string Channel => channel;
    /// <summary>For a game server: its game and the players it reports.</summary>
    public string? GameId { get; init; }
    public IReadOnlyList<long> Players { get; init; } = [];
    /// <summary>The last answer to a players report (status and body), for failure messages.</summary>
    public string LastPlayersAnswer { get; private set; } = "";

    private HttpClient NewHttp() => new()
    {
        BaseAddress = new Uri(lbUrl),
        Timeout = TimeSpan.FromSeconds(40),
        DefaultRequestHeaders = { Authorization = new("Bearer", token) },
    };

    public IReadOnlyList<long> Rounds { get { lock (_gate) return _rounds.ToList(); } }
    public IReadOnlyList<string> Violations { get { lock (_gate) return _violations.ToList(); } }
    /// <summary>Ids of this client's triggers the relay answered 202.</summary>
    public IReadOnlyList<string> Accepted { get { lock (_gate) return _accepted.ToList(); } }
    public int Gaps { get { lock (_gate) return _gaps; } }
    public long HighestRound { get { lock (_gate) return _rounds.Count == 0 ? 0 : _rounds.Max(); } }

    /// <summary>Resolves once a gap or round at least <paramref name="round"/> has been delivered after this call.</summary>
    public async Task UntilRoundAsync(long round, CancellationToken cancel)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_rounds.Count > 0 && _rounds.Max() >= round) return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancel);
        }
    }

    /// <summary>Long-polls until cancelled.</summary>
    public async Task PollAsync(CancellationToken stop)
    {
        using var http = NewHttp();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var res = await http.GetAsync($"{basePath}/events?after={_cursor}&wait=10", stop);
                if (res.StatusCode != HttpStatusCode.OK) { await Backoff(stop); continue; }
                Take(JObject.Parse(await res.Content.ReadAsStringAsync(stop)));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                await Backoff(stop);
            }
        }
    }

    private void Take(JObject answer)
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            foreach (var e in (JArray)answer["events"]!)
            {
                var seq = (long)e["seq"]!;
                if (seq <= _cursor) _violations.Add($"{name}: seq {seq} delivered after cursor {_cursor}");
                _cursor = Math.Max(_cursor, seq);
                if ((string?)e["event"] == "relay:gap") _gaps++;
                else if ((string?)e["event"] == "tick") _rounds.Add((long)e["data"]!["round"]!);
            }
            if ((bool)answer["gap"]! && (long)answer["next"]! < _cursor) _violations.Add($"{name}: the inbox went back from {_cursor} to {answer["next"]}");
            _cursor = Math.Max(_cursor, (long)answer["next"]!);
            wake = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        wake.TrySetResult();
    }

    /// <summary>A game server's reporting: its players every few seconds (the silence window is 45 s) until cancelled.</summary>
    public async Task ReportPlayersAsync(CancellationToken stop)
    {
        using var http = NewHttp();
        var body = JsonConvert.SerializeObject(new { players = Players.Select(p => new { userId = p, name = "player" + p }) });
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var res = await http.PutAsync(basePath + "/players", new StringContent(body, Encoding.UTF8, "application/json"), stop);
                LastPlayersAnswer = $"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync(stop)}";
                await Task.Delay(res.IsSuccessStatusCode ? TimeSpan.FromSeconds(5) : TimeSpan.FromMilliseconds(200), stop);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                await Backoff(stop);
            }
        }
    }

    /// <summary>Publishes one event with <paramref name="id"/> to the game's presence channel, retrying until 202.</summary>
    public async Task TriggerUntilAcceptedAsync(string id, CancellationToken stop)
    {
        using var http = NewHttp();
        var body = JsonConvert.SerializeObject(new { events = new[] { new { channel = "presence-game-" + GameId, @event = "score", data = new { tid = id }, id } } });
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var res = await http.PostAsync(basePath + "/trigger", new StringContent(body, Encoding.UTF8, "application/json"), stop);
                if (res.StatusCode == HttpStatusCode.Accepted)
                {
                    lock (_gate) _accepted.Add(id);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested) { }
            await Backoff(stop);
        }
    }

    // A client's pause before retrying a failed request (what the Luau modules do), not a test's wait.
    private static Task Backoff(CancellationToken stop) =>
        Task.Delay(100, stop).ContinueWith(_ => { }, TaskScheduler.Default);
}
