using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Newtonsoft.Json;

namespace Realtime.Relay.Infrastructure;

/// <summary>Writes RFC 9457 problem details with a stable <c>code</c>, from anywhere in the pipeline.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static ProblemDetails Create(HttpContext http, int status, string code, string detail,
        IDictionary<string, string[]>? errors = null)
    {
        var problem = errors is null ? new ProblemDetails() : new ValidationProblemDetails(errors);
        problem.Status = status;
        problem.Title = TitleFor(status);
        problem.Detail = detail;
        problem.Instance = http.Request.Path;
        problem.Extensions["code"] = code;
        problem.Extensions["traceId"] = http.TraceIdentifier;
        return problem;
    }

    /// <summary>
    /// Writes a problem outside MVC (authentication, middleware, the exception handler) with the
    /// same Newtonsoft settings MVC writes every other body with: one JSON stack for the API.
    /// </summary>
    public static async Task WriteAsync(HttpContext http, int status, string code, string detail)
    {
        if (http.Response.HasStarted) return;
        http.Response.StatusCode = status;
        http.Response.ContentType = ContentType;
        var settings = http.RequestServices.GetRequiredService<IOptions<MvcNewtonsoftJsonOptions>>().Value.SerializerSettings;
        await http.Response.WriteAsync(JsonConvert.SerializeObject(Create(http, status, code, detail), settings), http.RequestAborted);
    }

    /// <summary>A controller result carrying a problem with the given code.</summary>
    public static ObjectResult Result(HttpContext http, int status, string code, string detail,
        IDictionary<string, string[]>? errors = null) =>
        new(Create(http, status, code, detail, errors))
        {
            StatusCode = status,
            ContentTypes = { ContentType },
        };

    public static string TitleFor(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => status >= 500 ? "Internal Server Error" : "Error",
    };
}
