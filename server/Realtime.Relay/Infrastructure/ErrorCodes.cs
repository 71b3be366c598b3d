namespace Realtime.Relay.Infrastructure;

/// <summary>The stable <c>code</c> values of problem+json answers. Clients switch on these.</summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string NotReady = "not_ready";
    public const string InternalError = "internal_error";
    public const string Conflict = "conflict";
    public const string RateLimited = "rate_limited";
    /// <summary>An event or channel name with control characters, line breaks, padding or a reserved prefix.</summary>
    public const string InvalidName = "invalid_name";
    /// <summary>A validly signed platform JWT whose role claim is not exactly one known role.</summary>
    public const string InvalidRole = "invalid_role";
    /// <summary>A validly signed platform JWT whose sub claim is missing, repeated, empty, too long or not text.</summary>
    public const string InvalidSubject = "invalid_subject";
    /// <summary>A signed Pusher webhook whose time_ms is more than 5 minutes from the relay's clock.</summary>
    public const string StaleWebhook = "stale_webhook";
    /// <summary>The database cannot be written right now (disk full, read-only, I/O error); retry later.</summary>
    public const string StorageUnavailable = "storage_unavailable";

    // Pairing (RFC 8628 device flow): the token endpoint's answers, and the approve/deny outcome.
    public const string AuthorizationPending = "authorization_pending";
    public const string SlowDown = "slow_down";
    public const string ExpiredToken = "expired_token";
    public const string AccessDenied = "access_denied";
    public const string AlreadyDecided = "already_decided";

    /// <summary>A plugin names a game its approver does not own (approval), or its owner does not own (presence).</summary>
    public const string GameNotOwned = "game_not_owned";

    // Per-tenant limits (429 with Retry-After): what is full, so a client can tell which one it hit.
    public const string TooManyPendingPairings = "too_many_pending_pairings";
    public const string TooManyServerSessions = "too_many_server_sessions";
    public const string TooManyStreams = "too_many_streams";

    // Features this relay cannot offer right now, or resources that are gone.
    /// <summary>Pusher is switched off (PUSHER_ENABLED=false): the endpoint needs it.</summary>
    public const string PusherDisabled = "pusher_disabled";
    /// <summary>Pusher did not accept what the relay sent on the caller's behalf.</summary>
    public const string PusherUnavailable = "pusher_unavailable";
    /// <summary>The relay has no plugin sources to build the served .rbxmx from.</summary>
    public const string PluginUnavailable = "plugin_unavailable";
    /// <summary>The client's inbox was closed (plugin revoked, session ended).</summary>
    public const string InboxClosed = "inbox_closed";
    /// <summary>A plugin not paired with a game cannot report a roster.</summary>
    public const string NoGame = "no_game";
    /// <summary>A webhook without a valid Pusher key and signature.</summary>
    public const string InvalidWebhook = "invalid_webhook";

    /// <summary>The code for a status when the handler gave none.</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => InvalidRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        429 => RateLimited,
        503 => NotReady,
        >= 500 => InternalError,
        _ => "error",
    };
}
