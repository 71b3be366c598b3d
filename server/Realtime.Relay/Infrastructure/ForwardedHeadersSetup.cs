using Microsoft.AspNetCore.HttpOverrides;
using Realtime.Relay.Configuration;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// X-Forwarded-For/-Proto/-Host, believed only from the proxies in RELAY_TRUSTED_PROXIES. With
/// none configured the headers are ignored: anyone could send them, and per-address limits
/// (pairing starts) and the <c>verificationUri</c> must not follow what a client claims.
/// </summary>
public static class ForwardedHeadersSetup
{
    public static IServiceCollection AddRelayForwardedHeaders(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<RelaySettings>((o, settings) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // The defaults trust loopback; only the operator's list counts.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var network in settings.TrustedProxyNetworks) o.KnownIPNetworks.Add(network);
            // Walk back through a chain of trusted proxies to the first address none of them owns.
            o.ForwardLimit = null;
        });
        return services;
    }

    private const string ForwardedHostItem = "relay.forwarded-host";

    public static WebApplication UseRelayForwardedHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<RelaySettings>().TrustedProxyNetworks.Count == 0) return app;
        var original = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ForwardedHeadersOptions>>().Value.OriginalHostHeaderName;
        // The middleware keeps the Host it replaced in X-Original-Host: only then did a trusted proxy name the host.
        app.Use((context, next) =>
        {
            context.Request.Headers.Remove(original); // a client's own copy proves nothing
            return next(context);
        });
        app.UseForwardedHeaders();
        app.Use((context, next) =>
        {
            if (context.Request.Headers.ContainsKey(original)) context.Items[ForwardedHostItem] = true;
            return next(context);
        });
        return app;
    }

    /// <summary>True when the request's Host was set from X-Forwarded-Host by a trusted proxy.</summary>
    public static bool HostCameFromTrustedProxy(HttpContext http) => http.Items.ContainsKey(ForwardedHostItem);
}
