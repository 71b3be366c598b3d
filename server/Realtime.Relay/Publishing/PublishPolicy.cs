using Realtime.Relay.Clients;

namespace Realtime.Relay.Publishing;

/// <summary>
/// Where a Roblox client may publish (DESIGN.md): <c>roblox-sync</c>, its own channel, and
/// its game's <c>presence-game-&lt;gameId&gt;</c>. Nothing else.
/// </summary>
public static class PublishPolicy
{
    public const string RobloxSync = "roblox-sync";

    public static string? Refusal(RelayClient client, string channel)
    {
        if (channel == RobloxSync || channel == client.OwnChannel) return null;
        if (client.GameId is not null && channel == "presence-game-" + client.GameId) return null;
        return $"'{channel}' is not a channel this client may publish to (allowed: roblox-sync, {client.OwnChannel}"
               + (client.GameId is null ? ")." : $", presence-game-{client.GameId}).");
    }

    /// <summary>The payload as the dashboard receives it: who sent it, then what they sent.</summary>
    public static string Wrap(RelayClient client, Newtonsoft.Json.Linq.JToken? data) =>
        new Newtonsoft.Json.Linq.JObject
        {
            ["from"] = new Newtonsoft.Json.Linq.JObject { ["kind"] = client.KindName, ["id"] = client.Id, ["gameId"] = client.GameId },
            ["data"] = data ?? Newtonsoft.Json.Linq.JValue.CreateNull(),
        }.ToString(Newtonsoft.Json.Formatting.None);
}
