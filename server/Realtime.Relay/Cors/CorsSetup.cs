using Microsoft.AspNetCore.Cors.Infrastructure;
using Realtime.Relay.Configuration;

namespace Realtime.Relay.Cors;

/// <summary>
/// Cross-origin access for browser dashboards (pusher-js's auth endpoint, the console's API
/// calls from another origin): only the exact origins in <c>RELAY_CORS_ORIGINS</c>, only under
/// <c>/api/</c>, with the two request headers a dashboard sends. Unlisted origins get no
/// <c>Access-Control-Allow-*</c> headers, so the browser refuses them. Credentials (cookies) are
/// not allowed: callers authenticate with a bearer token in <c>Authorization</c>.
/// </summary>
public static class CorsSetup
{
    public const string PolicyName = "RelayDashboards";

    /// <summary>How long a browser may cache a preflight answer.</summary>
    public static readonly TimeSpan PreflightMaxAge = TimeSpan.FromMinutes(10);

    public static IServiceCollection AddRelayCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<RelaySettings>((o, settings) => o.AddPolicy(PolicyName, policy => policy
            .WithOrigins(settings.AllowedOrigins.ToArray())
            .WithMethods("GET", "POST", "PUT", "DELETE")
            .WithHeaders("Authorization", "Content-Type")
            .WithExposedHeaders("Location", "Retry-After")
            .SetPreflightMaxAge(PreflightMaxAge)));
        return services;
    }

    /// <summary>
    /// Before authentication, so a preflight (which carries no token) is answered here and a
    /// 401/403 still carries the headers the browser needs to let the page read it.
    /// </summary>
    public static IApplicationBuilder UseRelayCors(this IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetRequiredService<RelaySettings>().AllowedOrigins.Count == 0) return app;
        return app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments("/api"), api => api.UseCors(PolicyName));
    }
}
