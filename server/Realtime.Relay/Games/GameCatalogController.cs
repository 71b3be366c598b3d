using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Realtime.Relay.Identity;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Games;

/// <summary><c>GET /api/v1/games</c>, <c>GET</c> and <c>DELETE /api/v1/games/{gameId}</c>: the caller's games (all for an admin).</summary>
[ApiController]
[Route("api/v1/games")]
[Authorize(Policy = AuthenticationSetup.EducatorPolicy)]
public sealed class GameCatalogController(GameCatalog catalog) : ControllerBase
{
    [HttpGet]
    [ProducesResponseType<GameList>(StatusCodes.Status200OK)]
    public async Task<IActionResult> List(CancellationToken ct) => Ok(new GameList(await catalog.ListAsync(PlatformUser.From(User)!, ct)));

    [HttpGet("{gameId}")]
    [ProducesResponseType<GameView>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IActionResult> Get(string gameId)
    {
        var outcome = await catalog.GetAsync(PlatformUser.From(User)!, gameId);
        return outcome.Error?.ToResult(HttpContext) ?? Ok(outcome.Value);
    }

    /// <summary>204: the game is gone, its live sessions ended and its server key no longer works.</summary>
    [HttpDelete("{gameId}")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IActionResult> Delete(string gameId)
    {
        var error = await catalog.DeleteAsync(PlatformUser.From(User)!, gameId);
        return error?.ToResult(HttpContext) ?? NoContent();
    }
}
