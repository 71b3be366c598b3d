using Microsoft.Extensions.Options;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Identity;
using Realtime.Relay.Inbox;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Plugins;

namespace Realtime.Relay.Pairing;

/// <summary>
/// The OAuth device flow (RFC 8628) for Studio plugins: start, poll for a token, approve or
/// deny by an educator. Each change is a compare-and-set on the pairing's version
/// (<see cref="IPairingStore"/>): read, decide, write back if nobody changed it meanwhile, else
/// decide again on what they wrote. So a device code is exchanged at most once without a lock.
/// </summary>
public sealed class PairingService
{
    /// <summary>RFC 8628 §3.5: each slow_down adds 5 seconds to the interval.</summary>
    public const int SlowDownStepSeconds = 5;

    /// <summary>Polls this much earlier than <c>interval</c> still count as on time (network jitter).</summary>
    public static readonly TimeSpan PollTolerance = TimeSpan.FromSeconds(1);

    /// <summary>Finished or expired pairings are kept this long (so late polls get a precise answer), then deleted.</summary>
    public static readonly TimeSpan KeepAfterExpiry = TimeSpan.FromHours(1);

    /// <summary>Tries of one compare-and-set before giving up; each lost try means someone else changed the pairing.</summary>
    private const int MaxAttempts = 8;

    private readonly IPairingStore _pairings;
    private readonly IInboxLifecycle _inboxes;
    private readonly GameAccess _games;
    private readonly TimeProvider _time;
    private readonly PairingOptions _options;
    private readonly ILogger<PairingService> _log;
    private readonly SlidingWindowLimiter _starts;
    private readonly SlidingWindowLimiter _wrongCodes;

    public PairingService(IPairingStore pairings, IInboxLifecycle inboxes, GameAccess games, TimeProvider time,
        IOptions<PairingOptions> options, ILogger<PairingService> log)
    {
        _pairings = pairings;
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

    public async Task<Outcome<StartedPairing>> StartAsync(StartPairingRequest request, string clientAddress, string verificationUri)
    {
        if (!_starts.TryAcquire(clientAddress, out var wait))
            return ApiError.RateLimited($"Too many pairings started from this address (at most {_starts.Limit} a minute); try again later.", wait);

        var now = Now;
        var deviceCode = ClientTokens.New(ClientTokens.DeviceCodePrefix);
        await _pairings.DeleteExpiredAsync(now - KeepAfterExpiry);
        PairingRecord pairing;
        PairingAdmission admission;
        do
        {
            pairing = new PairingRecord
            {
                DeviceCodeHash = ClientTokens.Hash(deviceCode),
                UserCode = UserCodes.New(),
                State = PairingState.Pending,
                CreatedAt = now,
                ExpiresAt = now.AddSeconds(_options.CodeLifetimeSeconds),
                IntervalSeconds = _options.IntervalSeconds,
                PlaceId = request.PlaceId,
                GameId = request.GameId,
                StudioUserId = request.StudioUserId,
                PluginVersion = request.PluginVersion,
            };
            admission = await _pairings.AddPendingAsync(pairing, Math.Max(1, _options.MaxPending), now);
        }
        while (admission.UserCodeTaken);
        if (admission.Full)
            return new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.TooManyPendingPairings,
                $"Too many pairings are waiting for approval ({admission.Pending}); try again later.") { RetryAfter = admission.OldestPendingExpiry - now };
        _log.LogInformation("Pairing started for place {PlaceId}", request.PlaceId);
        var display = UserCodes.Format(pairing.UserCode);
        return new StartedPairing(deviceCode, display, verificationUri, verificationUri + "?code=" + display,
            _options.CodeLifetimeSeconds, _options.IntervalSeconds);
    }

    /// <summary>
    /// The plugin's poll. Unknown and already-exchanged device codes answer <c>expired_token</c>
    /// (the plugin then starts over), as RFC 8628 allows for a code that no longer works.
    /// </summary>
    public async Task<Outcome<PluginGrant>> ExchangeAsync(string deviceCode, CancellationToken ct)
    {
        var now = Now;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var pairing = await _pairings.FindByDeviceCodeAsync(ClientTokens.Hash(deviceCode));
            if (pairing is null || pairing.State == PairingState.Consumed)
                return TokenError(ErrorCodes.ExpiredToken, "This device code is unknown or has already been used: start a new pairing.");
            if (pairing.State == PairingState.Denied)
                return TokenError(ErrorCodes.AccessDenied, "The pairing was denied.");
            if (now >= pairing.ExpiresAt)
                return TokenError(ErrorCodes.ExpiredToken, "The code expired before it was approved: start a new pairing.");
            var version = pairing.Version;
            if (pairing.State == PairingState.Pending)
            {
                var early = pairing.LastPolledAt is { } last && now - last < TimeSpan.FromSeconds(pairing.IntervalSeconds) - PollTolerance;
                if (early) pairing.IntervalSeconds += SlowDownStepSeconds;
                pairing.LastPolledAt = now;
                if (!await _pairings.ReplaceAsync(pairing, version)) continue;
                return early
                    ? TokenError(ErrorCodes.SlowDown, $"Polled faster than the interval: poll every {pairing.IntervalSeconds} s from now on.",
                        pairing.IntervalSeconds)
                    : TokenError(ErrorCodes.AuthorizationPending, "Waiting for an educator to approve the code.", pairing.IntervalSeconds);
            }

            // Approved: spend the code, record the plugin, store its token's hash, open its inbox — once, in one operation.
            pairing.State = PairingState.Consumed;
            var client = new RelayClient(ClientKind.Plugin, pairing.PluginId!, pairing.GameId);
            var plugin = new PluginRecord
            {
                PluginId = client.Id,
                OwnerId = pairing.DecidedBy!,
                PlaceId = pairing.PlaceId,
                GameId = pairing.GameId,
                GameApprovedByAdmin = pairing.DecidedByAdmin,
                StudioUserId = pairing.StudioUserId,
                PluginVersion = pairing.PluginVersion,
                CreatedAt = now,
            };
            var token = ClientTokens.New(ClientTokens.PluginPrefix);
            if (!await _pairings.ConsumeAsync(pairing, version, plugin, ClientTokens.Hash(token))) continue;
            _inboxes.Opened(client);
            _log.LogInformation("Plugin {PluginId} paired, owned by user {OwnerId}", client.Id, pairing.DecidedBy);
            return new PluginGrant(token, client.Id, client.OwnChannel);
        }
        throw new InvalidOperationException("The pairing kept changing while it was being exchanged.");
    }

    /// <summary>
    /// Approve or deny. Wrong codes count against the user (429 once the limit is reached, for
    /// right codes too); an expired code is 400 <c>expired_token</c>; a code someone already
    /// decided is 409 <c>already_decided</c>, except the same user repeating the same decision,
    /// which answers as the first time did (a double click is harmless).
    /// </summary>
    public async Task<Outcome<ApprovedPairing>> DecideAsync(PlatformUser user, string input, bool approve)
    {
        var code = UserCodes.Normalize(input) ?? "";
        var now = Now;
        if (WrongCodeLimit(user) is { } limited) return limited;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var pairing = await _pairings.NewestWithUserCodeAsync(code);
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

            if (approve && pairing.GameId is not null && await _games.ApprovalRefusalAsync(pairing.GameId, user.Id, user.IsAdmin) is { } notOwned)
                return new ApiError(StatusCodes.Status403Forbidden, ErrorCodes.GameNotOwned, notOwned);

            var version = pairing.Version;
            pairing.State = approve ? PairingState.Approved : PairingState.Denied;
            pairing.PluginId = approve ? ClientTokens.NewId() : null;
            pairing.DecidedBy = user.Id;
            pairing.DecidedByAdmin = approve && user.IsAdmin;
            pairing.DecidedAt = now;
            // Lost the race (a poll, or another decision): decide again on what is stored now.
            if (!await _pairings.ReplaceAsync(pairing, version)) continue;
            if (approve) _log.LogInformation("User {UserId} approved a pairing as plugin {PluginId}", user.Id, pairing.PluginId);
            else _log.LogInformation("User {UserId} denied a pairing", user.Id);
            return Answer(pairing);
        }
        throw new InvalidOperationException("The pairing kept changing while it was being decided.");

        static ApprovedPairing Answer(PairingRecord p) =>
            p.PluginId is null ? new ApprovedPairing("", "") : new ApprovedPairing(p.PluginId, "private-plugin-" + p.PluginId);
    }

    /// <summary>Refusal once the user has tried too many wrong codes (approve, deny and lookup alike).</summary>
    private ApiError? WrongCodeLimit(PlatformUser user) =>
        _wrongCodes.IsLimited(user.Id, out var wait)
            ? ApiError.RateLimited($"Too many wrong codes (at most {_wrongCodes.Limit} in {_wrongCodes.Window.TotalMinutes:0} minutes); try again later.", wait)
            : null;

    /// <summary>
    /// What asks to be approved (RFC 8628 §5.4: no blind approval). Wrong codes count against the
    /// user exactly as in <see cref="DecideAsync"/>, so looking codes up is no way around that limit.
    /// An expired code is 404: there is nothing left to decide.
    /// </summary>
    public async Task<Outcome<PairingDetails>> LookupAsync(PlatformUser user, string input)
    {
        var code = UserCodes.Normalize(input) ?? "";
        var now = Now;
        if (WrongCodeLimit(user) is { } limited) return limited;
        var pairing = await _pairings.NewestWithUserCodeAsync(code);
        if (pairing is null || now >= pairing.ExpiresAt)
        {
            _wrongCodes.Record(user.Id);
            return ApiError.NotFound($"No pairing is waiting for code {UserCodes.Format(code)}: check the code Studio shows (codes expire after {_options.CodeLifetimeSeconds / 60} minutes).");
        }
        return PairingDetails.From(pairing, now);
    }

    /// <summary>Codes still waiting for a decision (for <c>/metrics</c>).</summary>
    public Task<int> PendingCountAsync() => _pairings.CountPendingAsync(Now);

    /// <summary>The approver of a pairing approved but not yet exchanged (the plugin is about to exist).</summary>
    public Task<string?> PendingOwnerOfAsync(string pluginId) => _pairings.PendingOwnerOfAsync(pluginId, Now);

    private static ApiError TokenError(string code, string detail, int? interval = null) =>
        new(StatusCodes.Status400BadRequest, code, detail)
        {
            Extensions = interval is null ? null : new Dictionary<string, object?> { ["interval"] = interval },
        };
}
