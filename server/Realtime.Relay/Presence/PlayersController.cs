using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Realtime.Pusher.Validation;
using Realtime.Relay.Clients;
using Realtime.Relay.Configuration;
using Realtime.Relay.Games;
using Realtime.Relay.Identity;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Presence;

/// <summary>
/// <c>PUT P/players</c>: a game server (or a Studio plugin paired with a game) reports its full
/// roster; <c>GET /api/v1/games/{gameId}/players</c>: the game's roster for platform users.
/// </summary>
[ApiController]
public sealed class PlayersController(PresenceRoster roster, PusherSettings pusher, GameAccess games) : ControllerBase
{

    private static readonly PlayersRequestValidator Rules = new();

    [HttpPut("/api/v1/plugins/{pluginId}/players")]
    [HttpPut("/api/v1/games/{gameId}/servers/{jobId}/players")]
    [Authorize(AuthenticationSchemes = ClientTokenAuthentication.SchemeName)]
    public async Task<IActionResult> Report([FromBody] PlayersRequest? request, CancellationToken cancellationToken)
    {
        var client = RelayClientAccess.Authorize(this, out var refusal);
        if (client is null) return refusal!;
        if (client.GameId is null)
            return Problems.Result(HttpContext, StatusCodes.Status403Forbidden, ErrorCodes.NoGame,
                "This plugin is not paired with a game: pair it with a gameId to report its Team Create roster.");
        if (!pusher.Enabled) return Disabled();

        request ??= new PlayersRequest(null);
        var validation = Rules.Validate(request);
        if (!validation.IsValid) return validation.ToProblem(HttpContext);

        var channel = PresenceRoster.ChannelFor(client.GameId);
        if (!PusherLimits.IsValidChannelName(channel))
            return Problems.Result(HttpContext, 400, ErrorCodes.InvalidRequest,
                $"The game id '{client.GameId}' does not make a valid Pusher channel name ({channel}).");
        if (games.GameOf(client) is null)
            return Problems.Result(HttpContext, StatusCodes.Status403Forbidden, ErrorCodes.GameNotOwned,
                $"This plugin's owner does not own game '{client.GameId}' (or it does not exist): it cannot report players for it.");
        var players = request.Players!.Select(p => p!).ToList();
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

        var change = await roster.ReportAsync(client, client.GameId, players, cancellationToken);
        if (change is null)
            return Problems.Result(HttpContext, 503, ErrorCodes.NotReady, "The relay is shutting down; report again shortly.");
        return Ok(new
        {
            gameId = client.GameId,
            jobId,
            present = change.Present,
            added = change.Added,
            removed = change.Removed,
            updated = change.Updated,
            reportWithinSeconds = (int)roster.Options.Silence.TotalSeconds,
        });
    }

    [HttpGet("/api/v1/games/{gameId}/players")]
    [Authorize(Policy = AuthenticationSetup.PlatformUserPolicy)]
    public IActionResult Snapshot(string gameId)
    {
        if (!pusher.Enabled) return Disabled();
        var (players, servers) = roster.Snapshot(gameId);
        return Ok(new { gameId, players, servers });
    }

    private ObjectResult Disabled() => Problems.Result(HttpContext, 503, ErrorCodes.PusherDisabled,
        "Pusher is disabled on this relay (PUSHER_ENABLED=false): players cannot be presence members.");
}
