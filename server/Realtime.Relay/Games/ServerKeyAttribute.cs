using Microsoft.AspNetCore.Mvc.Filters;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Games;

/// <summary>
/// The route's <c>{gameId}</c> must be answered with that game's server key as the bearer
/// (401 otherwise). An authorization filter, so the key is checked before the body is read or
/// validated. The action finds the game in <see cref="GameOf"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ServerKeyAttribute : Attribute, IAsyncAuthorizationFilter
{
    private const string GameItemKey = "relay.game";

    public async Task OnAuthorizationAsync(AuthorizationFilterContext context)
    {
        var http = context.HttpContext;
        var games = http.RequestServices.GetRequiredService<GameService>();
        var game = await games.CheckServerKeyAsync(context.RouteData.Values["gameId"] as string ?? "", BearerToken.From(http.Request));
        if (game.Error is not null) context.Result = game.Error.ToResult(http);
        else http.Items[GameItemKey] = game.Value;
    }

    /// <summary>The game whose server key the request presented.</summary>
    public static GameRecord GameOf(HttpContext http) => (GameRecord)http.Items[GameItemKey]!;
}
