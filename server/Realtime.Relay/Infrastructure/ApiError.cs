using Microsoft.AspNetCore.Mvc;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// A refusal decided by a service, turned into a problem+json answer by the controller:
/// status, stable <c>code</c>, a human detail, and optionally Retry-After and extra members.
/// </summary>
public sealed record ApiError(int Status, string Code, string Detail)
{
    public TimeSpan? RetryAfter { get; init; }
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    public static ApiError NotFound(string detail) => new(StatusCodes.Status404NotFound, ErrorCodes.NotFound, detail);
    public static ApiError Forbidden(string detail) => new(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, detail);
    public static ApiError Unauthorized(string detail) => new(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, detail);
    public static ApiError Conflict(string detail) => new(StatusCodes.Status409Conflict, ErrorCodes.Conflict, detail);

    public static ApiError RateLimited(string detail, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, detail) { RetryAfter = retryAfter };

    public IActionResult ToResult(HttpContext http)
    {
        if (RetryAfter is { } wait)
            http.Response.Headers.RetryAfter = RetryAfterSeconds(wait).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var result = Problems.Result(http, Status, Code, Detail);
        if (Extensions is not null && result.Value is ProblemDetails problem)
            foreach (var (key, value) in Extensions) problem.Extensions[key] = value;
        return result;
    }

    /// <summary>Whole seconds, rounded up, at least 1.</summary>
    public static int RetryAfterSeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
}

/// <summary>A service's answer: a value, or the <see cref="ApiError"/> that refuses it.</summary>
public readonly record struct Outcome<T>(T? Value, ApiError? Error)
{
    public static implicit operator Outcome<T>(T value) => new(value, null);
    public static implicit operator Outcome<T>(ApiError error) => new(default, error);
}
