using Microsoft.AspNetCore.Http.Features;

namespace Realtime.Relay.Infrastructure;

/// <summary>Bodies over 64 KB are refused with 413 (docs/api.md, "Conventions").</summary>
public static class RequestLimits
{
    public const long MaxBodyBytes = 64 * 1024;

    public static IWebHostBuilder UseRelayRequestLimits(this IWebHostBuilder web) =>
        web.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBodyBytes);

    /// <summary>
    /// Refuses a declared over-size body before anything reads it. Chunked bodies with no
    /// length are cut off by Kestrel's limit while being read (mapped to 413 by the error handler).
    /// </summary>
    public static IApplicationBuilder UseBodySizeLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            await Problems.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
                $"The request body is larger than {MaxBodyBytes / 1024} KB.");
            return;
        }
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = MaxBodyBytes;
        await next();
    });
}
