using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Realtime.Relay.Clients;
using Realtime.Relay.Identity;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Plugins;

/// <summary><c>GET /api/v1/plugins</c> and <c>DELETE /api/v1/plugins/{pluginId}</c> (README, "Pairing a Studio plugin").</summary>
[ApiController]
[Route("api/v1/plugins")]
public sealed class PluginsController(PluginService plugins) : ControllerBase
{
    /// <summary>The caller's own plugins; every plugin for an admin.</summary>
    [HttpGet]
    [Authorize(Policy = AuthenticationSetup.PlatformUserPolicy)]
    [ProducesResponseType<PluginList>(StatusCodes.Status200OK)]
    public async Task<IActionResult> List() => Ok(new PluginList(await plugins.ListAsync(PlatformUser.From(User)!)));

    /// <summary>
    /// 204 for the owner's or an admin's JWT, or the plugin's own token. Both kinds of bearer are
    /// accepted here, so the endpoint authenticates itself rather than through one scheme.
    /// </summary>
    [HttpDelete("{pluginId}")]
    [AllowAnonymous]
    [OpenApi.AcceptsBearer(OpenApi.SecuritySchemes.PlatformJwt, OpenApi.SecuritySchemes.RelayClientToken)]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesProblem(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound)]
    public async Task<IActionResult> Revoke(string pluginId)
    {
        PlatformUser? user = null;
        RelayClient? client = null;
        var jwt = await HttpContext.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (jwt is { Succeeded: true, Principal: { } principal })
        {
            var reading = PlatformUser.Read(principal);
            if (reading.User is null) return Problems.Result(HttpContext, StatusCodes.Status403Forbidden, reading.Code!, reading.Reason!);
            user = reading.User;
        }
        else if ((await HttpContext.AuthenticateAsync(ClientTokenAuthentication.SchemeName)).Succeeded)
        {
            client = ClientTokenAuthentication.ClientOf(HttpContext);
        }
        if (user is null && client is null)
            return ApiError.Unauthorized("A platform JWT or the plugin's own token is required (Authorization: Bearer <token>); it may have been revoked.")
                .ToResult(HttpContext);

        var error = await plugins.RevokeAsync(user, client, pluginId);
        return error?.ToResult(HttpContext) ?? NoContent();
    }
}
