using Prometheus;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Pairing;
using Realtime.Relay.Plugins;
using Realtime.Relay.Publishing;

namespace Realtime.Relay.Monitoring;

/// <summary>
/// Backlog and population gauges for <c>/metrics</c>, computed when Prometheus scrapes (from the
/// in-memory inbox states and two small LiteDB counts) rather than kept up to date on every write.
/// Held long-polls and open SSE streams are <c>relay_long_polls_waiting</c> and
/// <c>relay_sse_streams_open</c> (Inbox/EventsController).
/// </summary>
public sealed class RelayGauges(IInboxStore inboxes, Outbox outbox, ClientActivity activity, PairingService pairings, TimeProvider time)
{
    private static readonly Gauge OutboxBacklog = Metrics.CreateGauge("relay_outbox_backlog", "Events accepted from Roblox clients and not yet published to Pusher.");
    private static readonly Gauge InboxDepthTotal = Metrics.CreateGauge("relay_inbox_depth_total", "Events stored and not yet acknowledged, over all inboxes.");
    private static readonly Gauge InboxDepthMax = Metrics.CreateGauge("relay_inbox_depth_max", "Events waiting in the fullest inbox.");
    private static readonly Gauge ServerSessions = Metrics.CreateGauge("relay_server_sessions", "Live game-server sessions (each has an inbox).");
    private static readonly Gauge PluginsPaired = Metrics.CreateGauge("relay_plugins_paired", "Paired Studio plugins (each has an inbox).");
    private static readonly Gauge PluginsOnline = Metrics.CreateGauge("relay_plugins_online", "Paired plugins that called within the last minute.");
    private static readonly Gauge PairingsPending = Metrics.CreateGauge("relay_pairings_pending", "Pairing codes waiting for an educator's decision.");

    /// <summary>
    /// Refreshes the gauges just before <c>/metrics</c> answers. Per application rather than a
    /// registry callback, which would outlive this host (tests run several in one process).
    /// </summary>
    public static IApplicationBuilder UseRelayGauges(IApplicationBuilder app) =>
        app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments("/metrics"), metrics => metrics.Use(async (ctx, next) =>
        {
            await ctx.RequestServices.GetRequiredService<RelayGauges>().UpdateAsync();
            await next();
        }));

    public async Task UpdateAsync()
    {
        long total = 0, max = 0, sessions = 0, plugins = 0, online = 0;
        var now = time.GetUtcNow();
        foreach (var state in await inboxes.AllStatesAsync())
        {
            var depth = state.Depth();
            total += depth;
            max = Math.Max(max, depth);
            if (state.Kind == ClientKind.GameServer) sessions++;
            else
            {
                plugins++;
                if (activity.LastSeen(state.InboxId) is { } seen && now - seen < PluginService.OnlineWindow) online++;
            }
        }
        InboxDepthTotal.Set(total);
        InboxDepthMax.Set(max);
        ServerSessions.Set(sessions);
        PluginsPaired.Set(plugins);
        PluginsOnline.Set(online);
        OutboxBacklog.Set(await outbox.PendingAsync());
        PairingsPending.Set(await pairings.PendingCountAsync());
    }
}

/// <summary><c>relay_auth_refusals_total{reason}</c>: refused credentials, by why (never by who).</summary>
public static class AuthRefusals
{
    public const string JwtMissing = "jwt_missing";
    public const string JwtInvalid = "jwt_invalid";
    public const string RoleForbidden = "role_forbidden";
    public const string ClientTokenInvalid = "client_token_invalid";
    public const string ChannelDenied = "channel_denied";

    private static readonly Counter Refusals = Metrics.CreateCounter("relay_auth_refusals_total",
        "Requests refused for their credentials, by reason.", new CounterConfiguration { LabelNames = ["reason"] });

    public static void Count(string reason) => Refusals.WithLabels(reason).Inc();
}
