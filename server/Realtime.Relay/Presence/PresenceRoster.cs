using System.Text;
using Newtonsoft.Json.Linq;
using Prometheus;
using Realtime.Relay.Clients;
using Realtime.Relay.Cluster;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Presence;

/// <summary>
/// Roblox players as real members of <c>presence-game-&lt;gameId&gt;</c> (README, "Presence").
/// Each reporter (a game server session, or a Studio plugin paired with the game) sends its full
/// roster; the relay diffs it and keeps one Pusher WebSocket connection per present player
/// (opened by <see cref="IPresenceConnectionFactory"/>),
/// signed in and subscribed as <c>roblox-&lt;userId&gt;</c> with <c>user_info {kind: "roblox-player", name, displayName, jobId}</c>.
/// A dashboard's pusher-js sees them in <c>channel.members</c> and gets
/// <c>pusher:member_added</c>/<c>pusher:member_removed</c> as they come and go.
/// <para>
/// State is in memory: the membership lives in this process's sockets, so after a restart there is
/// nothing to restore until servers report again (they do every few seconds); in a cluster the last
/// rosters are also kept in Redis, for another node to take over (<see cref="IPresenceHolding"/>). Reporters
/// silent for <see cref="PresenceOptions.Silence"/> lose their players (<see cref="SweepAsync"/>).
/// </para>
/// </summary>
public sealed class PresenceRoster(IPresenceConnectionFactory connections, IPresenceHolding holding, PresenceOptions options,
    TimeProvider clock, ILogger<PresenceRoster> log) : IClientClosedHandler, IAsyncDisposable
{
    public const string UserIdPrefix = "roblox-";

    /// <summary>Pusher's limit for a presence member's <c>user_info</c>.</summary>
    public const int MaxUserInfoBytes = 1024;

    private static readonly Gauge PlayersGauge = Metrics.CreateGauge("relay_presence_players", "Roblox players the relay holds as presence members (one Pusher connection each).");
    private static readonly Gauge ReportersGauge = Metrics.CreateGauge("relay_presence_reporters", "Game servers and Studio sessions reporting rosters.");
    private static readonly Counter SilentTotal = Metrics.CreateCounter("relay_presence_silent_reporters_total", "Reporters whose players were removed because they stopped reporting.");

    private readonly IPresenceConnectionFactory _connections = connections;
    private readonly IPresenceHolding _holding = holding;
    private readonly PresenceOptions _options = options;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger<PresenceRoster> _log = log;
    private readonly object _gate = new();
    private readonly Dictionary<string, Reporter> _reporters = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>One relay on its own (the default): every reporter's players are held here.</summary>
    public PresenceRoster(IPresenceConnectionFactory connections, PresenceOptions options, TimeProvider clock, ILogger<PresenceRoster> log)
        : this(connections, new SingleNodePresenceHolding(), options, clock, log) { }

    public PresenceOptions Options => _options;

    public static string ChannelFor(string gameId) => "presence-game-" + gameId;

    public static string PusherUserIdFor(long userId) => UserIdPrefix + userId;

    /// <summary>The <c>jobId</c> the dashboard sees: the server's job id, or <c>studio-&lt;pluginId&gt;</c> for a plugin.</summary>
    public static string JobIdOf(RelayClient client) => client.Kind == ClientKind.Plugin ? "studio-" + client.Id : client.Id;

    /// <summary>
    /// <c>user_info.kind</c> of every Roblox player, so a dashboard tells them from platform users
    /// (whose <c>user_info</c> is <c>{name, role}</c>) in the same presence channel.
    /// </summary>
    public const string PlayerKind = "roblox-player";

    public static JObject UserInfo(string name, string displayName, string jobId) =>
        new() { ["kind"] = PlayerKind, ["name"] = name, ["displayName"] = displayName, ["jobId"] = jobId };

    public static int UserInfoBytes(JObject info) => Encoding.UTF8.GetByteCount(info.ToString(Newtonsoft.Json.Formatting.None));

    /// <summary>
    /// Applies <paramref name="client"/>'s full roster for <paramref name="gameId"/>: new players join,
    /// missing ones leave, players whose name changed leave and join again (Pusher has no member
    /// update). Returns null while the relay is shutting down. The input must be validated.
    /// </summary>
    public async Task<RosterChange?> ReportAsync(RelayClient client, string gameId, IReadOnlyList<PlayerReport> roster, CancellationToken cancellationToken)
    {
        var report = new RosterReport(RosterReport.KeyOf(client, gameId), client.Kind, client.Id, client.GameId, gameId, roster, _clock.GetUtcNow());
        var previous = await _holding.RecordAsync(report);
        if (await _holding.HoldAsync(report.ReporterKey)) return await ApplyAsync(report, cancellationToken, receivedHere: true);
        // Another relay node holds these players and applies the stored report (docs/cluster.md): answer from the kept rosters.
        return Diff(previous?.Players ?? [], roster);
    }

    /// <summary>
    /// Applies a reporter's full roster here: from a report this node received, or (in a cluster) one another
    /// node received or one a dead holder left behind. Its time is the reporter's last sign of life.
    /// </summary>
    public async Task<RosterChange?> ApplyAsync(RosterReport report, CancellationToken cancellationToken = default, bool receivedHere = false)
    {
        var key = report.ReporterKey;
        while (true)
        {
            Reporter reporter;
            RosterChange change;
            lock (_gate)
            {
                if (_disposed) return null;
                if (!_reporters.TryGetValue(key, out reporter!))
                {
                    reporter = new Reporter(key, report.Client, report.GameId, JobIdOf(report.Client));
                    _reporters.Add(key, reporter);
                    ReportersGauge.Set(_reporters.Count);
                }
                if (report.ReportedAt > reporter.LastReport) reporter.LastReport = report.ReportedAt;
            }
            await reporter.Lock.WaitAsync(cancellationToken);
            try
            {
                if (reporter.Removed) continue; // swept or shut down meanwhile: start again with a fresh reporter
                // In a cluster two nodes may apply one reporter's reports (a nudge, a round): a late older one must not undo a newer one.
                if (report.ReportedAt < reporter.AppliedReport) return Diff(report.Players, report.Players);
                change = await ApplyAsync(reporter, report.Players);
                reporter.AppliedReport = report.ReportedAt; // after: seats read meanwhile never pair the new time with the old players
                var now = receivedHere ? _clock.GetUtcNow() : report.ReportedAt; // silence counts from the end of a report applied here
                lock (_gate) if (now > reporter.LastReport) reporter.LastReport = now;
            }
            finally
            {
                reporter.Lock.Release();
            }
            Applied?.Invoke(key);
            return change;
        }
    }

    private static RosterChange Diff(IReadOnlyList<PlayerReport> before, IReadOnlyList<PlayerReport> after)
    {
        Dictionary<long, PlayerReport> was = before.ToDictionary(p => p.Id!.Value), now = after.ToDictionary(p => p.Id!.Value);
        return new RosterChange(now.Keys.Where(id => !was.ContainsKey(id)).ToList(), was.Keys.Where(id => !now.ContainsKey(id)).ToList(),
            now.Where(p => was.TryGetValue(p.Key, out var old) && (old.Name, old.DisplayName) != (p.Value.Name, p.Value.DisplayName))
                .Select(p => p.Key).ToList(), now.Count);
    }

    /// <summary>Raised with the reporter's key after a report was applied here (in a cluster its holder then stores the seats).</summary>
    public event Action<string>? Applied;

    /// <summary>Reporters whose players this node holds, and when each last reported.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Held
    {
        get { lock (_gate) return _reporters.Values.ToDictionary(r => r.Key, r => r.LastReport, StringComparer.Ordinal); }
    }

    /// <summary>Whether every player of the reporter is a member (or refused) on this node's connections: a hand-over may let go of the old ones.</summary>
    public bool IsSeated(string reporterKey)
    {
        lock (_gate)
            return _reporters.TryGetValue(reporterKey, out var r) && r.Published.All(p => IsRefused(p) || p.Connection.State == PresenceSeatState.Member);
    }

    /// <summary>Another node holds the reporter now (it connected first): this node's connections for it close.</summary>
    public async Task ReleaseAsync(string reporterKey)
    {
        Reporter? gone;
        lock (_gate)
        {
            if (_reporters.Remove(reporterKey, out gone)) ReportersGauge.Set(_reporters.Count);
        }
        if (gone is not null) await DropAsync(gone);
    }

    private async Task<RosterChange> ApplyAsync(Reporter reporter, IReadOnlyList<PlayerReport> roster)
    {
        var wanted = roster.ToDictionary(p => p.Id!.Value, p => (Name: p.Name!, DisplayName: string.IsNullOrEmpty(p.DisplayName) ? p.Name! : p.DisplayName));
        var leaving = new List<Player>();
        var updated = new List<long>();
        foreach (var (userId, player) in reporter.Players)
        {
            if (!wanted.TryGetValue(userId, out var want)) leaving.Add(player);
            else if (want.Name != player.Name || want.DisplayName != player.DisplayName) { leaving.Add(player); updated.Add(userId); }
        }
        foreach (var player in leaving) reporter.Players.Remove(player.UserId);
        reporter.Publish();
        // Leave before joining again: Pusher keeps the first connection's user_info while any is present.
        await Task.WhenAll(leaving.Select(LeaveAsync));

        // Pusher refused some (e.g. the channel's member limit) and their connections were closed:
        // try them again now on new connections, a slot may have freed.
        foreach (var player in reporter.Players.Values.Where(IsRefused).ToList())
        {
            await CloseAsync(player);
            if (Join(reporter, player.UserId, player.Name, player.DisplayName, player.Since) is { } again)
                reporter.Players[player.UserId] = again;
        }

        var added = new List<long>();
        foreach (var (userId, want) in wanted)
        {
            if (reporter.Players.ContainsKey(userId)) continue;
            var since = leaving.FirstOrDefault(p => p.UserId == userId)?.Since ?? _clock.GetUtcNow();
            var player = Join(reporter, userId, want.Name, want.DisplayName, since);
            if (player is null) continue;
            reporter.Players.Add(userId, player);
            if (!updated.Contains(userId)) added.Add(userId);
        }
        reporter.Publish();
        UpdatePlayerGauge();
        var removed = leaving.Select(p => p.UserId).Where(id => !updated.Contains(id)).ToList();
        if (added.Count + removed.Count + updated.Count > 0)
            _log.LogInformation("Presence {Game} {Job}: +{Added} -{Removed} ~{Updated}, {Present} present",
                reporter.GameId, reporter.JobId, added.Count, removed.Count, updated.Count, reporter.Players.Count);
        return new RosterChange(added, removed, updated, reporter.Players.Count);
    }

    private Player? Join(Reporter reporter, long userId, string name, string displayName, DateTimeOffset since)
    {
        var pusherUserId = PusherUserIdFor(userId);
        var info = UserInfo(name, displayName, reporter.JobId);
        var channel = reporter.Channel;
        var refusal = new PresenceRefusal();
        IPresenceConnection connection;
        try
        {
            connection = _connections.Open(channel, pusherUserId, info, reason =>
            {
                _log.LogWarning("Presence: {User} could not join {Channel}: {Error}", pusherUserId, channel, reason);
                CloseIfRefused(refusal.Refuse(reason), pusherUserId);
            });
        }
        catch (ArgumentException e) // PusherValidationException too
        {
            _log.LogWarning("Presence: {User} cannot join {Channel}: {Reason}", pusherUserId, channel, e.Message);
            return null;
        }
        CloseIfRefused(refusal.Attach(connection), pusherUserId);
        return new Player(userId, name, displayName, since, connection, refusal);
    }

    // A refused player must not hold a Pusher connection (they count against the app's limits and
    // file descriptors). Closed off the refusal's callback: disposing waits for the connection's own
    // loop, which is raising it. The player is tried again, on a new connection, at the next report.
    private void CloseIfRefused(IPresenceConnection? refused, string pusherUserId)
    {
        if (refused is not null) _ = Task.Run(() => CloseQuietlyAsync(refused, pusherUserId));
    }

    private static bool IsRefused(Player player) =>
        player.Refusal.Reason is not null || player.Connection.State == PresenceSeatState.Refused;

    private Task CloseAsync(Player player) => CloseQuietlyAsync(player.Connection, PusherUserIdFor(player.UserId));

    private async Task CloseQuietlyAsync(IPresenceConnection connection, string pusherUserId)
    {
        try { await connection.DisposeAsync(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.LogDebug("Presence: closing the connection of {User} failed: {Reason}", pusherUserId, e.Message);
        }
    }

    private async Task LeaveAsync(Player player)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await player.Connection.UnsubscribeAsync(timeout.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.LogDebug("Presence: unsubscribing {User} failed: {Reason}", PusherUserIdFor(player.UserId), e.Message);
        }
        try { await player.Connection.DisposeAsync(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.LogDebug("Presence: closing the connection of {User} failed: {Reason}", PusherUserIdFor(player.UserId), e.Message);
        }
    }

    /// <summary>Removes the players of every reporter silent for longer than <see cref="PresenceOptions.Silence"/>.</summary>
    public async Task<int> SweepAsync()
    {
        List<Reporter> silent;
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            silent = _reporters.Values.Where(r => now - r.LastReport >= _options.Silence).ToList();
            foreach (var r in silent) _reporters.Remove(r.Key);
            ReportersGauge.Set(_reporters.Count);
        }
        foreach (var reporter in silent)
        {
            _log.LogInformation("Presence {Game} {Job}: silent for {Seconds:0} s, removing its {Count} players",
                reporter.GameId, reporter.JobId, _options.Silence.TotalSeconds, reporter.Published.Length);
            SilentTotal.Inc();
        }
        await Task.WhenAll(silent.Select(DropAsync));
        foreach (var reporter in silent) await _holding.ForgetAsync(reporter.Key);
        return silent.Count;
    }

    /// <summary>A closed client (session ended, plugin revoked) loses its players at once, not after the silence.</summary>
    public Task OnClientClosedAsync(RelayClient client) => ForgetAsync(client);

    /// <summary>Removes everything <paramref name="client"/> reported, at once (e.g. when its session ends or is revoked).</summary>
    public async Task ForgetAsync(RelayClient client)
    {
        List<Reporter> gone;
        lock (_gate)
        {
            gone = _reporters.Values.Where(r => r.InboxId == client.InboxId).ToList();
            foreach (var r in gone) _reporters.Remove(r.Key);
            ReportersGauge.Set(_reporters.Count);
        }
        await Task.WhenAll(gone.Select(DropAsync));
        foreach (var reporter in gone) await _holding.ForgetAsync(reporter.Key);
    }

    private async Task DropAsync(Reporter reporter)
    {
        await reporter.Lock.WaitAsync();
        List<Player> players;
        try
        {
            reporter.Removed = true;
            players = reporter.Players.Values.ToList();
            reporter.Players.Clear();
            reporter.Publish();
        }
        finally
        {
            reporter.Lock.Release();
        }
        await Task.WhenAll(players.Select(LeaveAsync));
        UpdatePlayerGauge();
    }

    /// <summary>The game's roster from this node's own state (<see cref="GameRosters.Merge"/>).</summary>
    public (IReadOnlyList<PresencePlayer> Players, IReadOnlyList<PresenceServer> Servers) Snapshot(string gameId)
    {
        List<(Reporter Reporter, Player[] Players)> held;
        lock (_gate) held = _reporters.Values.Where(r => r.GameId == gameId).Select(r => (r, r.Published)).ToList(); // a report in progress is not waited for
        return GameRosters.Merge(held.Select(h => (new PresenceServer(h.Reporter.Client.KindName, h.Reporter.JobId, h.Players.Length, h.Reporter.LastReport),
            (IEnumerable<PresencePlayer>)h.Players.Select(p => PlayerOf(h.Reporter, p)))));
    }

    /// <summary>The players this node holds for one reporter and the report they come from; null if it holds none.</summary>
    public ReporterSeats? SeatsOf(string reporterKey)
    {
        Reporter? r;
        lock (_gate) if (!_reporters.TryGetValue(reporterKey, out r)) return null;
        return new ReporterSeats(r.Key, r.AppliedReport, r.Published.Select(p => PlayerOf(r, p)).ToList());
    }

    private static PresencePlayer PlayerOf(Reporter r, Player p) =>
        new(p.UserId, p.Name, p.DisplayName, r.JobId, p.Since, p.Refusal.Reason is { } reason ? "refused: " + reason : GameRosters.StateOf(p.Connection));

    private void UpdatePlayerGauge()
    {
        lock (_gate) PlayersGauge.Set(_reporters.Values.Sum(r => r.Published.Length));
    }

    public async ValueTask DisposeAsync()
    {
        List<Reporter> all;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            all = _reporters.Values.ToList();
            _reporters.Clear();
            ReportersGauge.Set(0);
        }
        await Task.WhenAll(all.Select(DropAsync));
    }

    private sealed class Reporter(string key, RelayClient client, string gameId, string jobId)
    {
        public string Key { get; } = key;
        public RelayClient Client { get; } = client;
        public string InboxId => Client.InboxId;
        public string GameId { get; } = gameId;
        public string JobId { get; } = jobId;
        public string Channel { get; } = ChannelFor(gameId);
        public SemaphoreSlim Lock { get; } = new(1, 1);
        /// <summary>Changed only under <see cref="Lock"/>; call <see cref="Publish"/> after a change.</summary>
        public Dictionary<long, Player> Players { get; } = new();
        /// <summary>An immutable copy of <see cref="Players"/> for readers that do not take the lock.</summary>
        public volatile Player[] Published = [];
        public void Publish() => Published = Players.Values.ToArray();
        public DateTimeOffset LastReport { get; set; }
        /// <summary>The time of the last report applied (its <see cref="RosterReport.ReportedAt"/>): an older one is not applied after it.</summary>
        public DateTimeOffset AppliedReport { get; set; }
        public bool Removed { get; set; }
    }

    private sealed record Player(long UserId, string Name, string DisplayName, DateTimeOffset Since, IPresenceConnection Connection,
        PresenceRefusal Refusal);
}
