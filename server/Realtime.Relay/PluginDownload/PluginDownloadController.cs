using Microsoft.AspNetCore.Mvc;
using Realtime.Relay.Configuration;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.PluginDownload;

/// <summary>
/// The Studio plugin as one file an educator saves into Studio's Plugins folder (no Rojo needed),
/// pre-set to this relay's URL: RELAY_PUBLIC_URL, or the address the request came in on (RelayBaseUrl).
/// </summary>
[ApiController]
public sealed class PluginDownloadController(PluginPackage package, RelaySettings settings) : ControllerBase
{
    public const string UnavailableCode = "plugin_unavailable";

    [HttpGet("/plugin/" + PluginPackage.FileName)]
    [ProducesResponseType(typeof(FileContentResult), StatusCodes.Status200OK, "application/xml")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public IActionResult Download()
    {
        if (!package.IsAvailable)
        {
            return Problems.Result(HttpContext, StatusCodes.Status503ServiceUnavailable, UnavailableCode,
                "This relay cannot serve the Studio plugin: " + package.UnavailableReason);
        }

        var bytes = package.Render(BaseUrl());
        Response.Headers.ContentDisposition = $"attachment; filename=\"{PluginPackage.FileName}\"";
        // Without RELAY_PUBLIC_URL the file depends on the Host the request used.
        Response.Headers.CacheControl = "no-cache";
        return File(bytes, "application/xml; charset=utf-8");
    }

    private string BaseUrl() => RelayBaseUrl.For(HttpContext, settings);
}
