using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Realtime.Relay.Clients;
using Realtime.Relay.Identity;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Games;

/// <summary>Games, server keys and game-server sessions (README, "Game servers").</summary>
[ApiController]
[Route("api/v1/games")]
public sealed class GamesController(GameService games) : ControllerBase
{
    /// <summary>201 {gameId, serverKey}: the key is shown this once.</summary>
    [HttpPost]
    [Consumes("application/json")]
    [Authorize(Policy = AuthenticationSetup.EducatorPolicy)]
    [ProducesResponseType<GameKey>(StatusCodes.Status201Created)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)]
    public async Task<IActionResult> Create([FromBody] CreateGameRequest request)
    {
        var outcome = await games.CreateAsync(PlatformUser.From(User)!, request);
        return outcome.Error?.ToResult(HttpContext) ?? StatusCode(StatusCodes.Status201Created, outcome.Value);
    }

    /// <summary>200 {gameId, serverKey}: a new key; the old one stops working.</summary>
    [HttpPost("{gameId}/keys/rotate")]
    [Authorize(Policy = AuthenticationSetup.EducatorPolicy)]
    [ProducesResponseType<GameKey>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IActionResult> RotateKey(string gameId)
    {
        var outcome = await games.RotateKeyAsync(PlatformUser.From(User)!, gameId);
        return outcome.Error?.ToResult(HttpContext) ?? Ok(outcome.Value);
    }

    /// <summary>201 {accessToken, serverId}: a live server's session (Bearer = the game's server key).</summary>
    [HttpPost("{gameId}/servers")]
    [Consumes("application/json")]
    [AllowAnonymous]
    [ServerKey]
    [ProducesResponseType<ServerSession>(StatusCodes.Status201Created)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests)]
    public async Task<IActionResult> Register(string gameId, [FromBody] RegisterServerRequest request, CancellationToken ct)
    {
        var outcome = await games.RegisterAsync(ServerKeyAttribute.GameOf(HttpContext), request, ct);
        if (outcome.Error is not null) return outcome.Error.ToResult(HttpContext);
        var session = outcome.Value!;
        Response.Headers.Location = $"/api/v1/games/{gameId}/servers/{session.ServerId}";
        return StatusCode(StatusCodes.Status201Created, session);
    }

    /// <summary>
    /// 204: ends the session (BindToClose). Bearer = the session's own token or the game's server
    /// key, so this one client route checks its caller itself rather than through one scheme.
    /// </summary>
    [HttpDelete("{gameId}/servers/{jobId}")]
    [AllowAnonymous]
    [OpenApi.AcceptsBearer(OpenApi.SecuritySchemes.RelayClientToken, OpenApi.SecuritySchemes.GameServerKey)]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesProblem(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound)]
    public async Task<IActionResult> End(string gameId, string jobId)
    {
        var bearer = BearerToken.From(Request);
        if (bearer is not null && bearer.StartsWith(ClientTokens.ServerKeyPrefix, StringComparison.Ordinal))
        {
            var game = await games.CheckServerKeyAsync(gameId, bearer);
            if (game.Error is not null) return game.Error.ToResult(HttpContext);
        }
        else
        {
            if (!(await HttpContext.AuthenticateAsync(ClientTokenAuthentication.SchemeName)).Succeeded)
                return ApiError.Unauthorized("The session's token or the game's server key is required (Authorization: Bearer <token>).")
                    .ToResult(HttpContext);
            if (RelayClientAccess.Authorize(HttpContext, RouteData.Values, out var refusal) is null) return refusal!;
        }
        var ended = await games.EndAsync(new RelayClient(ClientKind.GameServer, jobId, gameId), "ended");
        return ended ? NoContent() : ApiError.NotFound($"No live session of server '{jobId}' in game '{gameId}'.").ToResult(HttpContext);
    }
}
