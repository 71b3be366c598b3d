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
[RequiresPusher]
public sealed class PusherAuthController(
    ChannelPolicy policy, ILogger<PusherAuthController> log, PusherAuthorizer? authorizer = null) : ControllerBase
{
    [HttpPost("auth")]
    [Consumes("application/x-www-form-urlencoded", "application/json")]
    [ProducesResponseType<ChannelAuthorization>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status503ServiceUnavailable)]
    public async Task<IActionResult> AuthorizeChannel([FromPusherAuthBody] PusherAuthRequest request, CancellationToken ct)
    {

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
            ? authorizer!.AuthorizePresenceChannel(request.SocketId!, channel, user.Id, new { name = user.Name, role = user.Role })
            : authorizer!.AuthorizePrivateChannel(request.SocketId!, channel);
        return Content(answer.ToJson(), "application/json");
    }

    [HttpPost("user-auth")]
    [Consumes("application/x-www-form-urlencoded", "application/json")]
    [ProducesResponseType<UserAuthentication>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status503ServiceUnavailable)]
    public IActionResult AuthenticateUser([FromPusherAuthBody] UserAuthRequest request)
    {

        var user = PlatformUser.From(User)!;
        var answer = authorizer!.AuthenticateUser(request.SocketId!,
            new PusherUser { Id = user.Id, UserInfo = new { name = user.Name, role = user.Role } });
        return Content(answer.ToJson(), "application/json");
    }
}
