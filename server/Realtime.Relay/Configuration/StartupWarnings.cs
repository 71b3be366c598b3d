namespace Realtime.Relay.Configuration;

/// <summary>Settings that work but are probably a mistake where they are: said once at start-up.</summary>
public static class StartupWarnings
{
    public static WebApplication LogStartupWarnings(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<RelaySettings>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Realtime.Relay.Configuration");
        if (app.Environment.IsProduction() && settings.PublicUri is { Scheme: "http" } url)
            log.LogWarning("RELAY_PUBLIC_URL is {Url}, plain http, in Production: Roblox game servers only reach HTTPS URLs and " +
                "tokens would cross the network in clear. Put the relay behind TLS and set an https:// URL", url);
        return app;
    }
}
