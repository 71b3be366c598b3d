using Prometheus;
using Realtime.Relay.Clients;
using Realtime.Relay.Cluster;
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
        var pusher = builder.AddRelaySettings();
        builder.Services.AddRelayLogging(builder.Configuration);
        builder.WebHost.UseRelayRequestLimits();
        builder.Services.AddRelayForwardedHeaders();
        builder.Services.AddRelayProblemDetails();
        builder.Services.AddRelayControllers();
        builder.Services.AddRelayOpenApi();
        builder.Services.AddPlatformAuthentication();
        builder.Services.AddRelayStorage(builder.Configuration); // first: its writer must stop last
        // A failing background loop logs and carries on; it never stops the relay.
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        builder.Services.AddCluster(builder.Configuration); // one node unless RELAY_STORE=redis
        builder.Services.AddPusher(pusher);
        builder.Services.AddPusherAuth();
        builder.Services.AddRelayClients();
        builder.Services.AddInboxes();
        builder.Services.AddPairing();
        builder.Services.AddPlugins();
        builder.Services.AddGames();
        builder.Services.AddPublishing(pusher.IsEnabled);
        builder.Services.AddPluginDownload();
        builder.Services.AddPresence(pusher.IsEnabled);
        builder.Services.AddWebhooks();
        builder.Services.AddRelayCors();
        builder.Services.AddSingleton<ReadinessLog>();
        builder.Services.AddSingleton<Monitoring.RelayGauges>();
        builder.Services.AddConsole();
        return builder;
    }

    public static WebApplication MapRelay(this WebApplication app)
    {
        app.CheckSettings(); // first: every bad value is reported, one line each, before anything opens
        app.UseRelayForwardedHeaders(); // then: everything after sees the client's own address, scheme and host
        // Opened (and checked) now, so a bad database file stops start-up with one line before anything listens;
        // Redis is connected now too (a node whose Redis is down starts, and says not ready, until it is back).
        app.Services.GetService<RelayDatabase>();
        app.Services.GetService<StackExchange.Redis.IConnectionMultiplexer>();
        app.LogStartupWarnings();
        app.UseRelayErrorHandling();
        app.UseRelayRequestLogging();
        app.UseRelayCors();
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
