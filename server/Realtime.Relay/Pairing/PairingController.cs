using Microsoft.Extensions.Options;
using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Realtime.Relay.Configuration;
using Realtime.Relay.Identity;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Pairing;

/// <summary>
/// Pairing a Studio plugin by the OAuth device flow (README, "Pairing a Studio plugin").
/// The plugin starts and polls anonymously; an educator or admin approves or denies the code.
/// </summary>
[ApiController]
[Route("api/v1/pairings")]
[Consumes("application/json")]
public sealed class PairingController(PairingService pairings, RelaySettings settings, IOptions<PairingOptions> options) : ControllerBase
{
    /// <summary>201 {deviceCode, userCode, verificationUri, verificationUriComplete, expiresIn, interval}.</summary>
    [HttpPost]
    [AllowAnonymous]
    [ProducesResponseType<StartedPairing>(StatusCodes.Status201Created)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status429TooManyRequests)]
    public async Task<IActionResult> Start([FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] StartPairingRequest? request)
    {
        var outcome = await pairings.StartAsync(request!, ClientAddress(), VerificationUri());
        return outcome.Error?.ToResult(HttpContext) ?? StatusCode(StatusCodes.Status201Created, outcome.Value);
    }

    /// <summary>200 {accessToken, pluginId, channel} once approved; else 400 with an RFC 8628 code.</summary>
    [HttpPost("token")]
    [AllowAnonymous]
    [ProducesResponseType<PluginGrant>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status429TooManyRequests)]
    public async Task<IActionResult> Token([FromBody] PairingTokenRequest request, CancellationToken ct)
    {
        var outcome = await pairings.ExchangeAsync(request.DeviceCode!, ct);
        return outcome.Error?.ToResult(HttpContext) ?? Ok(outcome.Value);
    }

    /// <summary>200 {pluginId, channel}: the approving user owns the plugin.</summary>
    [HttpPost("approve")]
    [Authorize(Policy = AuthenticationSetup.EducatorPolicy)]
    [ProducesResponseType<ApprovedPairing>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status429TooManyRequests)]
    public async Task<IActionResult> Approve([FromBody] UserCodeRequest request)
    {
        var outcome = await pairings.DecideAsync(PlatformUser.From(User)!, request.UserCode!, approve: true);
        return outcome.Error?.ToResult(HttpContext) ?? Ok(outcome.Value);
    }

    /// <summary>204: the plugin's next poll answers <c>access_denied</c>.</summary>
    [HttpPost("deny")]
    [Authorize(Policy = AuthenticationSetup.EducatorPolicy)]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status429TooManyRequests)]
    public async Task<IActionResult> Deny([FromBody] UserCodeRequest request)
    {
        var outcome = await pairings.DecideAsync(PlatformUser.From(User)!, request.UserCode!, approve: false);
        return outcome.Error?.ToResult(HttpContext) ?? NoContent();
    }

    /// <summary>
    /// The first default <c>verificationUri</c>, kept for plugins that still show it: the Pair
    /// page of the console now (the code travels along; the page treats it as text).
    /// </summary>
    [HttpGet("/pair")]
    [AllowAnonymous]
    [ApiExplorerSettings(IgnoreApi = true)]
    public RedirectResult PairPage([FromQuery] string? code) =>
        Redirect(string.IsNullOrWhiteSpace(code) ? ConsolePairPath : ConsolePairPath + "?code=" + Uri.EscapeDataString(code.Trim()));

    /// <summary>The console's Pair page (<c>WebConsole/</c>), where an educator signed in with the platform's JWT approves a code.</summary>
    public const string ConsolePairPath = "/console/pair";

    /// <summary>The configured approval page, else RELAY_PUBLIC_URL + /console/pair, else this request's own base URL + /console/pair.</summary>
    private string VerificationUri()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.VerificationUri)) return options.Value.VerificationUri;
        var baseUrl = RelayBaseUrl.For(HttpContext, settings);
        return baseUrl.TrimEnd('/') + ConsolePairPath;
    }

    private string ClientAddress()
    {
        var address = HttpContext.Connection.RemoteIpAddress;
        if (address is null) return "unknown";
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
