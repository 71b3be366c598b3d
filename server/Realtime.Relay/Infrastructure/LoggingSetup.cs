using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// Serilog for app and request logs. Request lines carry method, path, status and time —
/// never headers or query strings, so bearer tokens and codes do not reach the logs.
/// <c>RELAY_LOG_FORMAT=json</c> writes compact JSON (one object per event, CLEF) instead of text;
/// every event carries the node's <c>NodeId</c>.
/// </summary>
public static class LoggingSetup
{
    public const string TextTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static IServiceCollection AddRelayLogging(this IServiceCollection services, IConfiguration config)
    {
        // ReadFrom.Services: sinks registered as ILogEventSink are written to as well (tests watch the log that way).
        services.AddSerilog((provider, lc) =>
        {
            lc.ReadFrom.Services(provider)
                .MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
                .ReadFrom.Configuration(config)
                .Enrich.FromLogContext()
                // Which relay node wrote it, where several share one store (RELAY_NODE_ID; docs/storage.md).
                .Enrich.WithProperty("NodeId", (config.GetSection(Configuration.RelaySettings.Section).Get<Configuration.StoreSettings>() ?? new()).Node);
            // One console sink, in the chosen format; don't also name Console in Serilog:WriteTo,
            // or every event is printed twice. Other configured sinks (files, Seq) still apply.
            if (LogsAsJson(provider)) lc.WriteTo.Console(new CompactJsonFormatter());
            else lc.WriteTo.Console(outputTemplate: TextTemplate);
        });
        return CachingLoggerFactory.Wrap(services);
    }

    // The logger is made while the host is built, before the settings are checked (SettingsSetup.CheckSettings):
    // a bad value here is reported there, with every other bad value, so text is used meanwhile.
    private static bool LogsAsJson(IServiceProvider provider)
    {
        try { return provider.GetRequiredService<Configuration.RelaySettings>().LogsAsJson; }
        catch (Microsoft.Extensions.Options.OptionsValidationException) { return false; }
    }

    public static IApplicationBuilder UseRelayRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(o =>
        {
            o.MessageTemplate = "HTTP {RequestMethod} {RequestPath} -> {StatusCode} in {Elapsed:0} ms";
            // The relay's logger, named once: without it the middleware makes a logger for its source context on every
            // request, every long-poll round among them (docs/performance.md).
            o.Logger = app.ApplicationServices.GetService<Serilog.ILogger>();
            // Long-polls and probes are routine: keep them out of the info stream. A failing
            // readiness probe is not a server error either: ReadinessLog reports the change once.
            o.GetLevel = (http, _, ex) =>
                ex is not null ? LogEventLevel.Error
                : IsProbe(http.Request.Path) ? LogEventLevel.Verbose
                : http.Response.StatusCode >= 500 ? LogEventLevel.Error
                : IsRoutineLongPoll(http) ? LogEventLevel.Debug
                : LogEventLevel.Information;
        });

    /// <summary>
    /// A long-poll answered with its events (one per delivered event and client, so at the information
    /// level it was a console line and the console's lock per event; docs/performance.md), or one whose
    /// client went away while it was held (every server that stops).
    /// </summary>
    private static bool IsRoutineLongPoll(HttpContext http) =>
        HttpMethods.IsGet(http.Request.Method)
        && http.Response.StatusCode is StatusCodes.Status200OK or Inbox.EventsController.ClientClosedRequest
        && http.Request.Path.Value?.EndsWith("/events", StringComparison.Ordinal) == true;

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics");
}
