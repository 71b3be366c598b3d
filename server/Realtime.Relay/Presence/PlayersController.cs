using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Realtime.Pusher.Validation;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Identity;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Presence;

/// <summary>
/// <c>PUT P/players</c>: a game server (or a Studio plugin paired with a game) reports its full
/// roster; <c>GET /api/v1/games/{gameId}/players</c>: the game's roster for platform users.
/// </summary>
[ApiController]
[RequiresPusher]
public sealed class PlayersController(PresenceRoster roster, IGameRosterReader rosters, GameAccess games) : ControllerBase
{
    [HttpPut("/api/v1/plugins/{pluginId}/players")]
    [HttpPut("/api/v1/games/{gameId}/servers/{jobId}/players")]
    [RelayClientEndpoint]
    [RequiresGame]
    [ProducesResponseType<RosterReported>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status503ServiceUnavailable)]
    public async Task<IActionResult> Report(RelayClient client, [FromBody] PlayersRequest? request, CancellationToken cancellationToken)
    {
        var gameId = client.GameId!; // [RequiresGame]
        var channel = PresenceRoster.ChannelFor(gameId);
        if (!PusherLimits.IsValidChannelName(channel))
            return Problems.Result(HttpContext, 400, ErrorCodes.InvalidRequest,
                $"The game id '{gameId}' does not make a valid Pusher channel name ({channel}).");
        if (await games.GameOfAsync(client) is null)
            return Problems.Result(HttpContext, StatusCodes.Status403Forbidden, ErrorCodes.GameNotOwned,
                $"This plugin's owner does not own game '{gameId}' (or it does not exist): it cannot report players for it.");
        var players = request!.Players!.Select(p => p!).ToList();
        var jobId = PresenceRoster.JobIdOf(client);
        for (var i = 0; i < players.Count; i++)
        {
            var p = players[i];
            var size = PresenceRoster.UserInfoBytes(PresenceRoster.UserInfo(p.Name!, p.DisplayName ?? p.Name!, jobId));
            if (size > PresenceRoster.MaxUserInfoBytes)
                return Problems.Result(HttpContext, 400, ErrorCodes.InvalidRequest,
                    $"players[{i}]: its user_info would be {size} bytes; Pusher allows {PresenceRoster.MaxUserInfoBytes}.",
                    new Dictionary<string, string[]> { [$"players[{i}]"] = [$"user_info at most {PresenceRoster.MaxUserInfoBytes} bytes"] });
        }

        var change = await roster.ReportAsync(client, gameId, players, cancellationToken);
        if (change is null)
            return Problems.Result(HttpContext, 503, ErrorCodes.NotReady, "The relay is shutting down; report again shortly.");
        return Ok(new RosterReported(gameId, jobId, change.Present, change.Added, change.Removed, change.Updated,
            (int)roster.Options.Silence.TotalSeconds));
    }

    [HttpGet("/api/v1/games/{gameId}/players")]
    [Authorize(Policy = AuthenticationSetup.PlatformUserPolicy)]
    [ProducesResponseType<GameRoster>(StatusCodes.Status200OK)]
    [ProducesProblem(StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<GameRoster>> Snapshot(string gameId) => await rosters.ReadAsync(gameId);
}
