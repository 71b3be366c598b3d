using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Realtime.Pusher.Auth;
using Realtime.Relay.Identity;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.PusherAuth;

/// <summary>
/// The dashboard's pusher-js authorizes private/presence channels and signs users in here,
/// with the platform JWT in its auth headers (migration document: authEndpoint).
/// With Pusher disabled no authorizer is registered and both answer 503.
/// </summary>
[ApiController]
[Route("api/v1/pusher")]
[Authorize(Policy = AuthenticationSetup.PlatformUserPolicy)]
public sealed class PusherAuthController(
    ChannelPolicy policy, ILogger<PusherAuthController> log, PusherAuthorizer? authorizer = null) : ControllerBase
{
    private static readonly ChannelAuthRequestValidator ChannelRules = new();
    private static readonly UserAuthRequestValidator UserRules = new();

    [HttpPost("auth")]
    [Consumes("application/x-www-form-urlencoded", "application/json")]
    public async Task<IActionResult> AuthorizeChannel(CancellationToken ct)
    {
        if (authorizer is null) return PusherDisabled();
        var request = await PusherAuthRequest.ReadAsync(Request, ct);
        if (request is null) return UnsupportedMediaType();
        var validation = ChannelRules.Validate(request);
        if (!validation.IsValid) return validation.ToProblem(HttpContext);

        var user = PlatformUser.From(User)!; // the policy guarantees sub and role
        var channel = request.ChannelName!;
        var decision = await policy.DecideAsync(user, channel, ct);
        if (!decision.Allowed)
        {
            log.LogInformation("Refused {Channel} to user {UserId}: {Reason}", channel, user.Id, decision.Reason);
            Monitoring.AuthRefusals.Count(Monitoring.AuthRefusals.ChannelDenied);
            return Problems.Result(HttpContext, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, decision.Reason!);
        }

        var answer = channel.StartsWith("presence-", StringComparison.Ordinal)
            ? authorizer.AuthorizePresenceChannel(request.SocketId!, channel, user.Id, new { name = user.Name, role = user.Role })
            : authorizer.AuthorizePrivateChannel(request.SocketId!, channel);
        return Content(answer.ToJson(), "application/json");
    }

    [HttpPost("user-auth")]
    [Consumes("application/x-www-form-urlencoded", "application/json")]
    public async Task<IActionResult> AuthenticateUser(CancellationToken ct)
    {
        if (authorizer is null) return PusherDisabled();
        var request = await PusherAuthRequest.ReadAsync(Request, ct);
        if (request is null) return UnsupportedMediaType();
        var validation = UserRules.Validate(request);
        if (!validation.IsValid) return validation.ToProblem(HttpContext);

        var user = PlatformUser.From(User)!;
        var answer = authorizer.AuthenticateUser(request.SocketId!,
            new PusherUser { Id = user.Id, UserInfo = new { name = user.Name, role = user.Role } });
        return Content(answer.ToJson(), "application/json");
    }

    private ObjectResult PusherDisabled() => Problems.Result(HttpContext, StatusCodes.Status503ServiceUnavailable,
        ErrorCodes.PusherDisabled, "Pusher is disabled on this relay (PUSHER_ENABLED=false).");

    private ObjectResult UnsupportedMediaType() => Problems.Result(HttpContext, StatusCodes.Status415UnsupportedMediaType,
        ErrorCodes.UnsupportedMediaType, "Send socket_id and channel_name as a form (application/x-www-form-urlencoded) or JSON.");
}
