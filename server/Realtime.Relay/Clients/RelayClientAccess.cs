using Microsoft.AspNetCore.Mvc;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Clients;

/// <summary>
/// A client token works only on its own base path <c>P</c>: /api/v1/plugins/{pluginId}/…
/// or /api/v1/games/{gameId}/servers/{jobId}/… (README, "Inbox"). Applied to every client
/// route by <see cref="RelayClientEndpointAttribute"/>.
/// </summary>
public static class RelayClientAccess
{
    /// <summary>The client a route names, from its <c>pluginId</c> or <c>gameId</c>+<c>jobId</c> values.</summary>
    public static RelayClient? FromRoute(RouteValueDictionary route)
    {
        if (route.TryGetValue("pluginId", out var pluginId) && pluginId is string p) return new RelayClient(ClientKind.Plugin, p, null);
        if (route.TryGetValue("gameId", out var gameId) && gameId is string g &&
            route.TryGetValue("jobId", out var jobId) && jobId is string j) return new RelayClient(ClientKind.GameServer, j, g);
        return null;
    }

    /// <summary>
    /// The authenticated client when its token belongs to the client the route names;
    /// otherwise null and a 403 problem in <paramref name="refusal"/>.
    /// </summary>
    public static RelayClient? Authorize(HttpContext http, RouteValueDictionary route, out IActionResult? refusal)
    {
        var caller = ClientTokenAuthentication.ClientOf(http);
        var named = FromRoute(route);
        if (caller is null || named is null || !SameClient(caller, named))
        {
            refusal = Problems.Result(http, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden,
                "This token belongs to another client: it works only under its own path.");
            return null;
        }
        refusal = null;
        return caller;
    }

    /// <summary>
    /// A plugin is named by its id alone (its path carries no game id, while its token records
    /// the Roblox game it was paired in); a game-server session by game id and job id.
    /// </summary>
    public static bool SameClient(RelayClient caller, RelayClient named) =>
        caller.Kind == named.Kind && caller.Id == named.Id &&
        (caller.Kind == ClientKind.Plugin || caller.GameId == named.GameId);
}
