using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Plugins;
using Realtime.Relay.Inbox;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>
/// A client with an open inbox and its token, made through the relay's own services (as
/// pairing does), and events put in the way the Pusher feed puts them.
/// </summary>
public sealed class InboxHarness(RelayFactory relay)
{
    public const string GameOwner = "harness-owner";

    /// <param name="kind">A plugin or a game server's session.</param>
    /// <param name="gameId">The plugin's game, or the session's game (default game1).</param>
    /// <param name="pluginOwner">A plugin's owner; the game (created if missing) is <see cref="GameOwner"/>'s.</param>
    public async Task<(RelayClient Client, HttpClient Http)> NewClientAsync(ClientKind kind = ClientKind.Plugin, string? gameId = null,
        string pluginOwner = GameOwner)
    {
        var client = kind == ClientKind.Plugin
            ? new RelayClient(ClientKind.Plugin, ClientTokens.NewId(), gameId)
            : new RelayClient(ClientKind.GameServer, "job-" + ClientTokens.NewId(), gameId ?? "game1");
        if (kind == ClientKind.Plugin && gameId is not null)
        {
            // As pairing records it: the plugin, its owner and its game (owned by GameOwner).
            await relay.Services.GetRequiredService<IGameStore>().TryAddAsync(new GameRecord { GameId = gameId, Name = gameId, OwnerId = GameOwner });
        }
        var token = await StoredClients.AddAsync(relay.Services, client, pluginOwner);
        var http = relay.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.Timeout = TimeSpan.FromSeconds(60);
        return (client, http);
    }

    public Task HeardOnPusherAsync(string channel, string eventName, string data, string? userId = null) =>
        relay.Services.GetRequiredService<ChannelRouter>().DeliverAsync(new IncomingEvent(channel, eventName, data, userId));

    public static Task<JObject> PollAsync(HttpClient http, RelayClient client, long after = 0, int wait = 0, int? limit = null) =>
        http.PollEventsAsync(client.BasePath, after, wait, limit);
}
