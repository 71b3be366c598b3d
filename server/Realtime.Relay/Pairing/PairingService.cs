using LiteDB;
using Microsoft.Extensions.Options;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Identity;
using Realtime.Relay.Inbox;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Plugins;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Pairing;

public enum PairingState
{
    Pending,
    Approved,
    Denied,
    /// <summary>Approved and exchanged for a token: the device code is spent.</summary>
    Consumed,
}

/// <summary>One device-flow pairing. The device code is stored only as its hash (the id).</summary>
public sealed class PairingRecord
{
    private DateTime _createdAt, _expiresAt;
    private DateTime? _lastPolledAt, _decidedAt;

    [BsonId] public string DeviceCodeHash { get; set; } = "";
    /// <summary>Stored form: 8 upper-case letters, no dash.</summary>
    public string UserCode { get; set; } = "";
    public PairingState State { get; set; }
    public DateTime CreatedAt { get => _createdAt; set => _createdAt = UtcDates.Utc(value); }
    public DateTime ExpiresAt { get => _expiresAt; set => _expiresAt = UtcDates.Utc(value); }
    public int IntervalSeconds { get; set; }
    public DateTime? LastPolledAt { get => _lastPolledAt; set => _lastPolledAt = UtcDates.Utc(value); }
    public long? PlaceId { get; set; }
    public string? GameId { get; set; }
    public long? StudioUserId { get; set; }
    public string? PluginVersion { get; set; }
    /// <summary>Assigned when approved, so the approver learns it at once.</summary>
    public string? PluginId { get; set; }
    public string? DecidedBy { get; set; }
    /// <summary>The approver was an admin (so <see cref="GameId"/> is honoured whoever owns the game).</summary>
    public bool DecidedByAdmin { get; set; }
    public DateTime? DecidedAt { get => _decidedAt; set => _decidedAt = UtcDates.Utc(value); }
}

/// <summary>
/// The OAuth device flow (RFC 8628) for Studio plugins: start, poll for a token, approve or
/// deny by an educator. Read-modify-write steps run under one lock with no await inside, so a
/// device code is exchanged at most once and no LiteDB transaction spans an await.
/// </summary>
public sealed class PairingService
{
    /// <summary>RFC 8628 §3.5: each slow_down adds 5 seconds to the interval.</summary>
    public const int SlowDownStepSeconds = 5;

    /// <summary>Polls this much earlier than <c>interval</c> still count as on time (network jitter).</summary>
    public static readonly TimeSpan PollTolerance = TimeSpan.FromSeconds(1);

    /// <summary>Finished or expired pairings are kept this long (so late polls get a precise answer), then deleted.</summary>
    public static readonly TimeSpan KeepAfterExpiry = TimeSpan.FromHours(1);

    private readonly ILiteCollection<PairingRecord> _pairings;
    private readonly PluginStore _plugins;
    private readonly ClientCredentialStore _credentials;
    private readonly IInboxLifecycle _inboxes;
    private readonly GameAccess _games;
    private readonly TimeProvider _time;
    private readonly PairingOptions _options;
    private readonly ILogger<PairingService> _log;
    private readonly SlidingWindowLimiter _starts;
    private readonly SlidingWindowLimiter _wrongCodes;
    private readonly Lock _gate = new();

    public PairingService(RelayDatabase db, PluginStore plugins, ClientCredentialStore credentials, IInboxLifecycle inboxes,
        GameAccess games, TimeProvider time, IOptions<PairingOptions> options, ILogger<PairingService> log)
    {
        _pairings = db.Collection<PairingRecord>("pairings");
        _pairings.EnsureIndex(p => p.UserCode);
        _pairings.EnsureIndex(p => p.PluginId);
        _pairings.EnsureIndex(p => p.ExpiresAt);
        _plugins = plugins;
        _credentials = credentials;
        _inboxes = inboxes;
        _games = games;
        _time = time;
        _options = options.Value;
        _log = log;
        _starts = new SlidingWindowLimiter(Math.Max(1, _options.StartsPerMinute), TimeSpan.FromMinutes(1), time);
        _wrongCodes = new SlidingWindowLimiter(Math.Max(1, _options.WrongCodeAttempts),
            TimeSpan.FromMinutes(Math.Max(1, _options.WrongCodeWindowMinutes)), time);
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    public Outcome<StartedPairing> Start(StartPairingRequest request, string clientAddress, string verificationUri)
    {
        if (!_starts.TryAcquire(clientAddress, out var wait))
            return ApiError.RateLimited($"Too many pairings started from this address (at most {_starts.Limit} a minute); try again later.", wait);

        var now = Now;
        var deviceCode = ClientTokens.New(ClientTokens.DeviceCodePrefix);
        string userCode;
        lock (_gate)
        {
            var stale = now - KeepAfterExpiry;
            _pairings.DeleteMany(p => p.ExpiresAt < stale);
            if (PendingFull(now) is { } full) return full;
            do userCode = UserCodes.New();
            while (_pairings.Exists(p => p.UserCode == userCode));
            _pairings.Insert(new PairingRecord
            {
                DeviceCodeHash = ClientTokens.Hash(deviceCode),
                UserCode = userCode,
                State = PairingState.Pending,
                CreatedAt = now,
                ExpiresAt = now.AddSeconds(_options.CodeLifetimeSeconds),
                IntervalSeconds = _options.IntervalSeconds,
                PlaceId = request.PlaceId,
                GameId = request.GameId,
                StudioUserId = request.StudioUserId,
                PluginVersion = request.PluginVersion,
            });
        }
        _log.LogInformation("Pairing started for place {PlaceId}", request.PlaceId);
        var display = UserCodes.Format(userCode);
        return new StartedPairing(deviceCode, display, verificationUri, verificationUri + "?code=" + display,
            _options.CodeLifetimeSeconds, _options.IntervalSeconds);
    }

    /// <summary>
    /// 429 when <see cref="PairingOptions.MaxPending"/> pairings wait for approval, with Retry-After
    /// = until the oldest of them expires. Approved, denied and expired pairings do not count.
    /// </summary>
    private ApiError? PendingFull(DateTime now)
    {
        var pending = _pairings.Find(p => p.ExpiresAt > now).Where(p => p.State == PairingState.Pending).ToList();
        if (pending.Count < Math.Max(1, _options.MaxPending)) return null;
        var wait = pending.Min(p => p.ExpiresAt) - now;
        return new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.TooManyPendingPairings,
            $"Too many pairings are waiting for approval ({pending.Count}); try again later.") { RetryAfter = wait };
    }

    /// <summary>
    /// The plugin's poll. Unknown and already-exchanged device codes answer <c>expired_token</c>
    /// (the plugin then starts over), as RFC 8628 allows for a code that no longer works.
    /// </summary>
    public async Task<Outcome<PluginGrant>> ExchangeAsync(string deviceCode, CancellationToken ct)
    {
        var now = Now;
        RelayClient client;
        string token;
        PairingRecord pairing;
        lock (_gate)
        {
            var found = _pairings.FindById(ClientTokens.Hash(deviceCode));
            if (found is null || found.State == PairingState.Consumed)
                return TokenError(ErrorCodes.ExpiredToken, "This device code is unknown or has already been used: start a new pairing.");
            pairing = found;
            if (pairing.State == PairingState.Denied)
                return TokenError(ErrorCodes.AccessDenied, "The pairing was denied.");
            if (now >= pairing.ExpiresAt)
                return TokenError(ErrorCodes.ExpiredToken, "The code expired before it was approved: start a new pairing.");
            if (pairing.State == PairingState.Pending)
            {
                var early = pairing.LastPolledAt is { } last && now - last < TimeSpan.FromSeconds(pairing.IntervalSeconds) - PollTolerance;
                if (early) pairing.IntervalSeconds += SlowDownStepSeconds;
                pairing.LastPolledAt = now;
                _pairings.Update(pairing);
                return early
                    ? TokenError(ErrorCodes.SlowDown, $"Polled faster than the interval: poll every {pairing.IntervalSeconds} s from now on.",
                        pairing.IntervalSeconds)
                    : TokenError(ErrorCodes.AuthorizationPending, "Waiting for an educator to approve the code.", pairing.IntervalSeconds);
            }

            // Approved: spend the code, record the plugin, issue its token — once.
            pairing.State = PairingState.Consumed;
            _pairings.Update(pairing);
            client = new RelayClient(ClientKind.Plugin, pairing.PluginId!, pairing.GameId);
            _plugins.Add(new PluginRecord
            {
                PluginId = client.Id,
                OwnerId = pairing.DecidedBy!,
                PlaceId = pairing.PlaceId,
                GameId = pairing.GameId,
                GameApprovedByAdmin = pairing.DecidedByAdmin,
                StudioUserId = pairing.StudioUserId,
                PluginVersion = pairing.PluginVersion,
                CreatedAt = now,
            });
            token = _credentials.Issue(client);
        }

        try
        {
            await _inboxes.OpenAsync(client, ct);
        }
        catch
        {
            // Undo, so the plugin's next poll can try again with the same code.
            lock (_gate)
            {
                _credentials.Revoke(client);
                _plugins.Remove(client.Id);
                pairing.State = PairingState.Approved;
                _pairings.Update(pairing);
            }
            throw;
        }
        _log.LogInformation("Plugin {PluginId} paired, owned by user {OwnerId}", client.Id, pairing.DecidedBy);
        return new PluginGrant(token, client.Id, client.OwnChannel);
    }

    public Outcome<ApprovedPairing> Approve(PlatformUser user, string userCode) =>
        Decide(user, userCode, approve: true);

    public Outcome<ApprovedPairing> Deny(PlatformUser user, string userCode) =>
        Decide(user, userCode, approve: false);

    /// <summary>
    /// Approve or deny. Wrong codes count against the user (429 once the limit is reached, for
    /// right codes too); an expired code is 400 <c>expired_token</c>; a code someone already
    /// decided is 409 <c>already_decided</c>, except the same user repeating the same decision,
    /// which answers as the first time did (a double click is harmless).
    /// </summary>
    private Outcome<ApprovedPairing> Decide(PlatformUser user, string input, bool approve)
    {
        var code = UserCodes.Normalize(input) ?? "";
        var now = Now;
        lock (_gate)
        {
            if (WrongCodeLimit(user) is { } limited) return limited;

            var pairing = NewestWithCode(code);
            if (pairing is null)
            {
                _wrongCodes.Record(user.Id);
                return ApiError.NotFound($"No pairing is waiting for code {UserCodes.Format(code)}: check the code Studio shows.");
            }

            var repeat = pairing.DecidedBy == user.Id &&
                         (approve ? pairing.State is PairingState.Approved or PairingState.Consumed : pairing.State == PairingState.Denied);
            if (repeat) return Answer(pairing);
            if (pairing.State != PairingState.Pending)
                return new ApiError(StatusCodes.Status409Conflict, ErrorCodes.AlreadyDecided,
                    $"Code {UserCodes.Format(code)} was already {(pairing.State == PairingState.Denied ? "denied" : "approved")}.");
            if (now >= pairing.ExpiresAt)
                return new ApiError(StatusCodes.Status400BadRequest, ErrorCodes.ExpiredToken,
                    $"Code {UserCodes.Format(code)} has expired: Studio will show a new one.");

            if (approve && pairing.GameId is not null && _games.ApprovalRefusal(pairing.GameId, user.Id, user.IsAdmin) is { } notOwned)
                return new ApiError(StatusCodes.Status403Forbidden, ErrorCodes.GameNotOwned, notOwned);

            pairing.State = approve ? PairingState.Approved : PairingState.Denied;
            pairing.PluginId = approve ? ClientTokens.NewId() : null;
            pairing.DecidedBy = user.Id;
            pairing.DecidedByAdmin = approve && user.IsAdmin;
            pairing.DecidedAt = now;
            _pairings.Update(pairing);
            if (approve) _log.LogInformation("User {UserId} approved a pairing as plugin {PluginId}", user.Id, pairing.PluginId);
            else _log.LogInformation("User {UserId} denied a pairing", user.Id);
            return Answer(pairing);
        }

        static ApprovedPairing Answer(PairingRecord p) =>
            p.PluginId is null ? new ApprovedPairing("", "") : new ApprovedPairing(p.PluginId, "private-plugin-" + p.PluginId);
    }

    /// <summary>Refusal once the user has tried too many wrong codes (approve, deny and lookup alike). Call under the gate.</summary>
    private ApiError? WrongCodeLimit(PlatformUser user) =>
        _wrongCodes.IsLimited(user.Id, out var wait)
            ? ApiError.RateLimited($"Too many wrong codes (at most {_wrongCodes.Limit} in {_wrongCodes.Window.TotalMinutes:0} minutes); try again later.", wait)
            : null;

    /// <summary>The newest pairing with this user code, compared exactly. Call under the gate.</summary>
    private PairingRecord? NewestWithCode(string code) =>
        _pairings.Find(p => p.UserCode == code).Where(p => p.UserCode == code).OrderByDescending(p => p.CreatedAt).FirstOrDefault();

    /// <summary>
    /// What asks to be approved (RFC 8628 §5.4: no blind approval). Wrong codes count against the
    /// user exactly as in <see cref="Approve"/>, so looking codes up is no way around that limit.
    /// An expired code is 404: there is nothing left to decide.
    /// </summary>
    public Outcome<PairingDetails> Lookup(PlatformUser user, string input)
    {
        var code = UserCodes.Normalize(input) ?? "";
        var now = Now;
        lock (_gate)
        {
            if (WrongCodeLimit(user) is { } limited) return limited;
            var pairing = NewestWithCode(code);
            if (pairing is null || now >= pairing.ExpiresAt)
            {
                _wrongCodes.Record(user.Id);
                return ApiError.NotFound($"No pairing is waiting for code {UserCodes.Format(code)}: check the code Studio shows (codes expire after {_options.CodeLifetimeSeconds / 60} minutes).");
            }
            return PairingDetails.From(pairing, now);
        }
    }

    /// <summary>Codes still waiting for a decision (for <c>/metrics</c>).</summary>
    public int PendingCount()
    {
        var now = Now;
        return _pairings.Count(p => p.State == PairingState.Pending && p.ExpiresAt > now);
    }

    /// <summary>The approver of a pairing approved but not yet exchanged (the plugin is about to exist).</summary>
    public string? PendingOwnerOf(string pluginId)
    {
        var now = Now;
        return _pairings.Find(p => p.PluginId == pluginId)
            .FirstOrDefault(p => p.PluginId == pluginId && p.State == PairingState.Approved && p.ExpiresAt > now)?.DecidedBy;
    }

    private static ApiError TokenError(string code, string detail, int? interval = null) =>
        new(StatusCodes.Status400BadRequest, code, detail)
        {
            Extensions = interval is null ? null : new Dictionary<string, object?> { ["interval"] = interval },
        };
}
