using Realtime.Relay.Clients;
using Realtime.Relay.Plugins;

namespace Realtime.Relay.Games;

/// <summary>
/// Which game a Roblox client may act for on Pusher (its <c>presence-game-&lt;gameId&gt;</c> and
/// its roster). A game-server session got its game from the game's server key. A plugin names a
/// game when it starts pairing; that is honoured only while the game exists and is owned by the
/// plugin's owner, or the pairing was approved by an admin. Checked at each use, so a plugin
/// paired before approval checked ownership cannot act for someone else's game either.
/// </summary>
public sealed class GameAccess(IGameStore games, IPluginStore plugins)
{
    /// <summary>The client's game when it may act for it, else null.</summary>
    public async Task<string?> GameOfAsync(RelayClient client)
    {
        if (client.GameId is null) return null;
        if (client.Kind == ClientKind.GameServer) return client.GameId;
        var plugin = await plugins.FindAsync(client.Id);
        var game = await games.FindAsync(client.GameId);
        if (plugin is null || game is null || plugin.GameId != client.GameId) return null;
        return game.OwnerId == plugin.OwnerId || plugin.GameApprovedByAdmin ? client.GameId : null;
    }

    /// <summary>Why <paramref name="approverId"/> may not give a plugin <paramref name="gameId"/>, or null when they may.</summary>
    public async Task<string?> ApprovalRefusalAsync(string gameId, string approverId, bool approverIsAdmin)
    {
        var game = await games.FindAsync(gameId);
        if (game is null) return $"The plugin asks to act for game '{gameId}', which does not exist: create the game first, or pair without a gameId.";
        if (!approverIsAdmin && game.OwnerId != approverId)
            return $"The plugin asks to act for game '{gameId}', which you do not own: only its owner (or an admin) may approve this pairing.";
        return null;
    }
}
