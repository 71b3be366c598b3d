using Realtime.Relay.Configuration;
namespace Realtime.Relay.PluginDownload;

/// <summary>
/// <c>GET /plugin/RealtimeBridge.rbxmx</c>. The plugin's sources (rojo.project.json and
/// roblox-plugin/src without specs) are copied into the build output under <c>plugin-source/</c>
/// by the csproj; RELAY_PLUGIN_SOURCE_ROOT / Relay:PluginSourceRoot points elsewhere (a checkout, in
/// development). The model is built once at start; if it cannot be, start-up logs one warning and
/// the endpoint answers 503.
/// </summary>
public static class PluginDownloadSetup
{
    public const string DefaultFolder = "plugin-source";

    public static IServiceCollection AddPluginDownload(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<RelaySettings>();
            var env = sp.GetRequiredService<IHostEnvironment>();
            return PluginPackage.Load(SourceRoot(settings, env));
        });
        services.AddHostedService<PluginDownloadStartup>();
        return services;
    }

    public static string SourceRoot(RelaySettings settings, IHostEnvironment env)
    {
        var configured = string.IsNullOrWhiteSpace(settings.PluginSourceRoot) ? null : settings.PluginSourceRoot.Trim();
        return configured is null
            ? Path.Combine(AppContext.BaseDirectory, DefaultFolder)
            : Path.GetFullPath(configured, env.ContentRootPath);
    }
}

/// <summary>Builds the plugin model as the relay starts and says once whether it can be served.</summary>
internal sealed class PluginDownloadStartup(PluginPackage package, ILogger<PluginDownloadStartup> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (package.IsAvailable)
        {
            log.LogInformation("Studio plugin ready at /plugin/{FileName}: {Scripts} scripts from {SourceRoot}",
                PluginPackage.FileName, package.ScriptCount, package.SourceRoot);
        }
        else
        {
            log.LogWarning("Studio plugin download unavailable (GET /plugin/{FileName} answers 503): {Reason} Sources looked for in {SourceRoot}",
                PluginPackage.FileName, package.UnavailableReason, package.SourceRoot);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
