using Realtime.Relay.Clients;

namespace Realtime.Relay.Publishing;

/// <summary>
/// Where a Roblox client may publish (README "Publishing"): <c>roblox-sync</c>, its own channel, and
/// its game's <c>presence-game-&lt;gameId&gt;</c> — the game it may act for
/// (<see cref="Games.GameAccess.GameOfAsync"/>: a plugin only for a game its owner owns). Nothing else.
/// </summary>
public static class PublishPolicy
{
    public const string RobloxSync = "roblox-sync";

    /// <param name="client">The publishing client.</param>
    /// <param name="channel">Where it wants to publish.</param>
    /// <param name="game">The game the client may act for, or null (no game, or a game its owner does not own).</param>
    public static string? Refusal(RelayClient client, string channel, string? game)
    {
        if (channel == RobloxSync || channel == client.OwnChannel) return null;
        if (game is not null && channel == "presence-game-" + game) return null;
        if (game is null && client.GameId is not null && channel == "presence-game-" + client.GameId)
            return $"'{channel}' is refused: this plugin's owner does not own game '{client.GameId}' (or the game does not exist).";
        return $"'{channel}' is not a channel this client may publish to (allowed: roblox-sync, {client.OwnChannel}"
               + (game is null ? ")." : $", presence-game-{game}).");
    }

    /// <summary>The payload as the dashboard receives it: who sent it, then what they sent.</summary>
    public static string Wrap(RelayClient client, Newtonsoft.Json.Linq.JToken? data) =>
        new Newtonsoft.Json.Linq.JObject
        {
            ["from"] = new Newtonsoft.Json.Linq.JObject { ["kind"] = client.KindName, ["id"] = client.Id, ["gameId"] = client.GameId },
            ["data"] = data ?? Newtonsoft.Json.Linq.JValue.CreateNull(),
        }.ToString(Newtonsoft.Json.Formatting.None);
}
