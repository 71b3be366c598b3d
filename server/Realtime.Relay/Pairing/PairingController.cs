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
/// Pairing a Studio plugin by the OAuth device flow (DESIGN.md, "Pairing a Studio plugin").
/// The plugin starts and polls anonymously; an educator or admin approves or denies the code.
/// </summary>
[ApiController]
[Route("api/v1/pairings")]
[Consumes("application/json")]
public sealed class PairingController(PairingService pairings, RelaySettings settings, IOptions<PairingOptions> options) : ControllerBase
{
    private static readonly StartPairingRequestValidator StartRules = new();
    private static readonly PairingTokenRequestValidator TokenRules = new();
    private static readonly UserCodeRequestValidator CodeRules = new();

    /// <summary>201 {deviceCode, userCode, verificationUri, verificationUriComplete, expiresIn, interval}.</summary>
    [HttpPost]
    [AllowAnonymous]
    public IActionResult Start([FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] StartPairingRequest? request)
    {
        request ??= new StartPairingRequest();
        var validation = StartRules.Validate(request);
        if (!validation.IsValid) return validation.ToProblem(HttpContext);
        var outcome = pairings.Start(request, ClientAddress(), VerificationUri());
        return outcome.Error?.ToResult(HttpContext) ?? StatusCode(StatusCodes.Status201Created, outcome.Value);
    }

    /// <summary>200 {accessToken, pluginId, channel} once approved; else 400 with an RFC 8628 code.</summary>
    [HttpPost("token")]
    [AllowAnonymous]
    public async Task<IActionResult> Token([FromBody] PairingTokenRequest request, CancellationToken ct)
    {
        var validation = TokenRules.Validate(request);
        if (!validation.IsValid) return validation.ToProblem(HttpContext);
        var outcome = await pairings.ExchangeAsync(request.DeviceCode!, ct);
        return outcome.Error?.ToResult(HttpContext) ?? Ok(outcome.Value);
    }

    /// <summary>200 {pluginId, channel}: the approving user owns the plugin.</summary>
    [HttpPost("approve")]
    [Authorize(Policy = AuthenticationSetup.EducatorPolicy)]
    public IActionResult Approve([FromBody] UserCodeRequest request)
    {
        var validation = CodeRules.Validate(request);
        if (!validation.IsValid) return validation.ToProblem(HttpContext);
        var outcome = pairings.Approve(PlatformUser.From(User)!, request.UserCode!);
        return outcome.Error?.ToResult(HttpContext) ?? Ok(outcome.Value);
    }

    /// <summary>204: the plugin's next poll answers <c>access_denied</c>.</summary>
    [HttpPost("deny")]
    [Authorize(Policy = AuthenticationSetup.EducatorPolicy)]
    public IActionResult Deny([FromBody] UserCodeRequest request)
    {
        var validation = CodeRules.Validate(request);
        if (!validation.IsValid) return validation.ToProblem(HttpContext);
        var outcome = pairings.Deny(PlatformUser.From(User)!, request.UserCode!);
        return outcome.Error?.ToResult(HttpContext) ?? NoContent();
    }

    /// <summary>
    /// The default <c>verificationUri</c>: a plain page telling the educator where the code is
    /// approved (the relay has no login of its own; approval needs the platform's JWT).
    /// </summary>
    [HttpGet("/pair")]
    [AllowAnonymous]
    public ContentResult PairPage([FromQuery] string? code)
    {
        var shown = string.IsNullOrWhiteSpace(code) ? "the code your Studio plugin shows" : System.Net.WebUtility.HtmlEncode(code.Trim());
        var html = $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Pair a Realtime Bridge plugin</title></head>
            <body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
            <h1>Pair a Roblox Studio plugin</h1>
            <p>Approve <strong>{{shown}}</strong> in the ToolBoxAI dashboard, signed in as an educator.</p>
            <p>For developers: <code>POST /api/v1/pairings/approve</code> with <code>{"userCode": "…"}</code>
            and <code>Authorization: Bearer &lt;educator JWT&gt;</code>.</p>
            <p>Codes expire after {{options.Value.CodeLifetimeSeconds / 60}} minutes; the plugin then shows a new one.</p>
            </body></html>
            """;
        return Content(html, "text/html; charset=utf-8");
    }

    /// <summary>The configured approval page, else RELAY_PUBLIC_URL + /pair, else this request's own base URL + /pair.</summary>
    private string VerificationUri()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.VerificationUri)) return options.Value.VerificationUri;
        var baseUrl = RelayBaseUrl.For(HttpContext, settings);
        return baseUrl.TrimEnd('/') + "/pair";
    }

    private string ClientAddress()
    {
        var address = HttpContext.Connection.RemoteIpAddress;
        if (address is null) return "unknown";
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
