using Serilog;
using Serilog.Events;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// Serilog for app and request logs. Request lines carry method, path, status and time —
/// never headers or query strings, so bearer tokens and codes do not reach the logs.
/// </summary>
public static class LoggingSetup
{
    public static IServiceCollection AddRelayLogging(this IServiceCollection services, IConfiguration config) =>
        // ReadFrom.Services: sinks registered as ILogEventSink are written to as well (tests watch the log that way).
        services.AddSerilog((provider, lc) => lc
            .ReadFrom.Services(provider)
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .ReadFrom.Configuration(config)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}"));

    public static IApplicationBuilder UseRelayRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(o =>
        {
            o.MessageTemplate = "HTTP {RequestMethod} {RequestPath} -> {StatusCode} in {Elapsed:0} ms";
            // Long-polls and probes are routine: keep them out of the info stream.
            o.GetLevel = (http, _, ex) =>
                ex is not null || http.Response.StatusCode >= 500 ? LogEventLevel.Error
                : http.Request.Path.StartsWithSegments("/healthz") || http.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Verbose
                : LogEventLevel.Information;
        });
}
