namespace Realtime.Relay.Clients;

public enum ClientKind
{
    Plugin,
    GameServer,
}

/// <summary>
/// A Roblox client of the relay — a paired Studio plugin or one live game server's
/// session — with its inbox and the channel it always hears.
/// </summary>
public sealed record RelayClient(ClientKind Kind, string Id, string? GameId)
{
    /// <summary>
    /// The inbox's key: <c>plugin:&lt;pluginId&gt;</c> or <c>server:&lt;gameId&gt;:&lt;jobId&gt;</c>. Made once: a
    /// long-poll looks it up several times per round, for tens of thousands of held polls (docs/performance.md).
    /// </summary>
    public string InboxId { get; } = Kind == ClientKind.Plugin ? "plugin:" + Id : $"server:{GameId}:{Id}";

    /// <summary><c>private-plugin-&lt;id&gt;</c> for plugins, <c>private-game-&lt;gameId&gt;</c> for game servers.</summary>
    public string OwnChannel => Kind == ClientKind.Plugin ? "private-plugin-" + Id : "private-game-" + GameId;

    /// <summary>The base path <c>P</c> of docs/api.md ("Who calls, and how they prove it"), where this client's token works.</summary>
    public string BasePath => Kind == ClientKind.Plugin ? "/api/v1/plugins/" + Id : $"/api/v1/games/{GameId}/servers/{Id}";

    public string KindName => Kind == ClientKind.Plugin ? "plugin" : "server";
}
