using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// Every error leaves the relay as problem+json with a <c>code</c>: invalid input (400),
/// unknown routes (404), bodies over the limit (413), and — should a bug slip through — 500
/// without internals.
/// </summary>
public static class ErrorHandlingSetup
{
    /// <summary>A model binder's error under this key means "no media type I can read": 415, not 400.</summary>
    public const string UnreadableMediaTypeKey = "Content-Type";

    public static IServiceCollection AddRelayProblemDetails(this IServiceCollection services)
    {
        // Before AddProblemDetails: the first writer that can write wins, and this one always can.
        services.AddSingleton<IProblemDetailsWriter, NewtonsoftProblemDetailsWriter>();
        services.AddProblemDetails(options => options.CustomizeProblemDetails = ctx =>
        {
            var status = ctx.ProblemDetails.Status ?? ctx.HttpContext.Response.StatusCode;
            ctx.ProblemDetails.Extensions.TryAdd("code", ErrorCodes.ForStatus(status));
            ctx.ProblemDetails.Extensions.TryAdd("traceId", ctx.HttpContext.TraceIdentifier);
            if (status == StatusCodes.Status404NotFound && ctx.ProblemDetails.Detail is null)
                ctx.ProblemDetails.Detail = $"No route {ctx.HttpContext.Request.Method} {ctx.HttpContext.Request.Path}.";
        });
        // PostConfigure: AddControllers' own setup would otherwise replace this factory with the default one.
        services.PostConfigure<ApiBehaviorOptions>(options => options.InvalidModelStateResponseFactory = ctx =>
        {
            if (ctx.ModelState.TryGetValue(UnreadableMediaTypeKey, out var mediaType) && mediaType.Errors.Count > 0)
                return Problems.Result(ctx.HttpContext, StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType,
                    mediaType.Errors[0].ErrorMessage);
            var errors = ctx.ModelState
                .Where(e => e.Value is { Errors.Count: > 0 })
                .ToDictionary(e => string.IsNullOrEmpty(e.Key) ? "body" : e.Key,
                    e => e.Value!.Errors.Select(x => string.IsNullOrEmpty(x.ErrorMessage) ? "is not valid" : x.ErrorMessage).ToArray());
            return Problems.Result(ctx.HttpContext, 400, ErrorCodes.InvalidRequest, "The request is not valid.", errors);
        });
        return services;
    }

    public static IApplicationBuilder UseRelayErrorHandling(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(errorApp => errorApp.Run(async http =>
        {
            var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
            // Kestrel's own limits (body too large, bad framing) are the client's fault.
            if (error is BadHttpRequestException bad)
            {
                var code = bad.StatusCode == 413 ? ErrorCodes.PayloadTooLarge : ErrorCodes.InvalidRequest;
                await Problems.WriteAsync(http, bad.StatusCode, code, bad.StatusCode == 413
                    ? $"The request body is larger than {RequestLimits.MaxBodyBytes / 1024} KB."
                    : "The request could not be read.");
                return;
            }
            if (error is not null && Storage.StorageFailures.IsStorageFailure(error))
            {
                http.Response.Headers.RetryAfter = "1";
                await Problems.WriteAsync(http, 503, ErrorCodes.StorageUnavailable, "The relay cannot write its database right now; retry shortly.");
                return;
            }
            await Problems.WriteAsync(http, 500, ErrorCodes.InternalError, "The relay failed to handle this request; it has been logged.");
        }));
        app.UseStatusCodePages();
        return app;
    }
}

/// <summary>
/// Status-code pages (unknown routes, 405) and any other <see cref="IProblemDetailsService"/> caller
/// outside MVC: written by <see cref="Problems.WriteAsync"/>, with Newtonsoft like the rest of the API.
/// </summary>
public sealed class NewtonsoftProblemDetailsWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var status = context.ProblemDetails.Status ?? http.Response.StatusCode;
        var code = context.ProblemDetails.Extensions.TryGetValue("code", out var given) && given is string text ? text : ErrorCodes.ForStatus(status);
        var detail = context.ProblemDetails.Detail ?? (status == StatusCodes.Status404NotFound
            ? $"No route {http.Request.Method} {http.Request.Path}."
            : Problems.TitleFor(status) + ".");
        return new ValueTask(Problems.WriteAsync(http, status, code, detail));
    }
}
