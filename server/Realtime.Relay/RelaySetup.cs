using Prometheus;
using Realtime.Relay.Clients;
using Realtime.Relay.Configuration;
using Realtime.Relay.WebConsole;
using Realtime.Relay.Cors;
using Realtime.Relay.Games;
using Realtime.Relay.Identity;
using Realtime.Relay.Inbox;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Meta;
using Realtime.Relay.OpenApi;
using Realtime.Relay.Pairing;
using Realtime.Relay.PluginDownload;
using Realtime.Relay.Plugins;
using Realtime.Relay.Presence;
using Realtime.Relay.Publishing;
using Realtime.Relay.PusherAuth;
using Realtime.Relay.PusherConnection;
using Realtime.Relay.Storage;
using Realtime.Relay.Webhooks;

namespace Realtime.Relay;

/// <summary>The relay's services and pipeline, one feature per line.</summary>
public static class RelaySetup
{
    public static WebApplicationBuilder AddRelay(this WebApplicationBuilder builder)
    {
        var settings = RelaySettingsLoader.Load(builder.Configuration);
        builder.Services.AddSingleton(settings);
        builder.Services.AddRelayLogging(builder.Configuration);
        builder.WebHost.UseRelayRequestLimits();
        builder.Services.AddRelayForwardedHeaders(settings);
        builder.Services.AddRelayProblemDetails();
        builder.Services.AddRelayControllers();
        builder.Services.AddRelayOpenApi();
        builder.Services.AddPlatformAuthentication(settings.Jwt);
        builder.Services.AddRelayStorage(); // first: its writer must stop last
        // A failing background loop logs and carries on; it never stops the relay.
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        builder.Services.AddPusher(settings.Pusher);
        builder.Services.AddPusherAuth();
        builder.Services.AddRelayClients();
        builder.Services.AddInboxes(builder.Configuration);
        builder.Services.AddPairing();
        builder.Services.AddPlugins();
        builder.Services.AddGames();
        builder.Services.AddPublishing(settings.Pusher.Enabled);
        builder.Services.AddPluginDownload();
        builder.Services.AddPresence(builder.Configuration, settings.Pusher.Enabled);
        builder.Services.AddWebhooks();
        builder.Services.AddRelayCors(settings);
        builder.Services.AddSingleton<ReadinessLog>();
        builder.Services.AddSingleton<Monitoring.RelayGauges>();
        builder.Services.AddConsole();
        return builder;
    }

    public static WebApplication MapRelay(this WebApplication app)
    {
        app.UseRelayForwardedHeaders(); // first: everything after sees the client's own address, scheme and host
        // Opened (and checked) now, so a bad database file stops start-up with one line before anything listens.
        app.Services.GetRequiredService<RelayDatabase>();
        app.LogStartupWarnings();
        app.UseRelayErrorHandling();
        app.UseRelayRequestLogging();
        app.UseRelayCors(app.Services.GetRequiredService<RelaySettings>());
        app.UseBodySizeLimit();
        app.UseHttpMetrics();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapControllers();
        app.MapOpenApi();
        Monitoring.RelayGauges.UseRelayGauges(app);
        app.MapMetrics();
        app.MapConsole();
        return app;
    }
}
