using Microsoft.AspNetCore.Mvc.Filters;
using Realtime.Relay.Clients;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Presence;

/// <summary>
/// The client must belong to a game (a game server always does; a plugin only when paired with a
/// <c>gameId</c>): 403 <c>no_game</c> otherwise, said before anything else about the request.
/// Runs after <see cref="RelayClientEndpointAttribute"/> has checked whose token it is.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresGameAttribute : Attribute, IAuthorizationFilter, IOrderedFilter
{
    public int Order => 1;

    public void OnAuthorization(AuthorizationFilterContext context)
    {
        if (ClientTokenAuthentication.ClientOf(context.HttpContext) is not { GameId: null }) return;
        context.Result = Problems.Result(context.HttpContext, StatusCodes.Status403Forbidden, ErrorCodes.NoGame,
            "This plugin is not paired with a game: pair it with a gameId to report its Team Create roster.");
    }
}
