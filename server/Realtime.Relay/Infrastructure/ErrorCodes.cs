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

    /// <summary>The code for a status when the handler gave none.</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => InvalidRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        503 => NotReady,
        >= 500 => InternalError,
        _ => "error",
    };
}
