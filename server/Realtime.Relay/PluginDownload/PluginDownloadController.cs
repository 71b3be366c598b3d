using Microsoft.AspNetCore.Mvc;
using Realtime.Relay.Configuration;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.PluginDownload;

/// <summary>
/// The Studio plugin as one file an educator saves into Studio's Plugins folder (no Rojo needed),
/// and the game-server module alone as a model file, both pre-set to this relay's URL:
/// RELAY_PUBLIC_URL, or the address the request came in on (RelayBaseUrl).
/// </summary>
[ApiController]
public sealed class PluginDownloadController(PluginPackage package, RelaySettings settings) : ControllerBase
{
    [HttpGet("/plugin/" + PluginPackage.FileName)]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "application/xml")]
    [ProducesProblem(StatusCodes.Status503ServiceUnavailable)]
    public IActionResult Download()
    {
        if (!package.IsAvailable)
        {
            return Problems.Result(HttpContext, StatusCodes.Status503ServiceUnavailable, ErrorCodes.PluginUnavailable,
                "This relay cannot serve the Studio plugin: " + package.UnavailableReason);
        }

        var bytes = package.Render(BaseUrl());
        Response.Headers.ContentDisposition = $"attachment; filename=\"{PluginPackage.FileName}\"";
        // Without RELAY_PUBLIC_URL the file depends on the Host the request used.
        Response.Headers.CacheControl = "no-cache";
        return File(bytes, "application/xml; charset=utf-8");
    }

    /// <summary>The game-server module alone (a ModuleScript for ServerScriptService), for games that do not use the plugin.</summary>
    [HttpGet("/plugin/" + PluginPackage.ServerModuleFileName)]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "application/xml")]
    [ProducesProblem(StatusCodes.Status503ServiceUnavailable)]
    public IActionResult DownloadServerModule()
    {
        var bytes = package.IsAvailable ? package.RenderServerModule(BaseUrl()) : null;
        if (bytes is null)
        {
            return Problems.Result(HttpContext, StatusCodes.Status503ServiceUnavailable, ErrorCodes.PluginUnavailable,
                "This relay cannot serve the game-server module: " +
                (package.UnavailableReason ?? "the plugin sources have no GameServer/Bridge module and Shared folder."));
        }

        Response.Headers.ContentDisposition = $"attachment; filename=\"{PluginPackage.ServerModuleFileName}\"";
        Response.Headers.CacheControl = "no-cache";
        return File(bytes, "application/xml; charset=utf-8");
    }

    private string BaseUrl() => RelayBaseUrl.For(HttpContext, settings);
}
