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
    /// <summary>The database cannot be written right now (disk full, read-only, I/O error); retry later.</summary>
    public const string StorageUnavailable = "storage_unavailable";

    // Pairing (RFC 8628 device flow): the token endpoint's answers, and the approve/deny outcome.
    public const string AuthorizationPending = "authorization_pending";
    public const string SlowDown = "slow_down";
    public const string ExpiredToken = "expired_token";
    public const string AccessDenied = "access_denied";
    public const string AlreadyDecided = "already_decided";

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
