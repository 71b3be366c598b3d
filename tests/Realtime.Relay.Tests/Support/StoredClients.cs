using Microsoft.Extensions.DependencyInjection;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Inbox;
using Realtime.Relay.Pairing;
using Realtime.Relay.Plugins;

namespace Realtime.Relay.Tests.Support;

/// <summary>
/// Puts a Roblox client into the relay's storage the way pairing and registration do (one
/// operation each: the plugin or session, its token's hash and its inbox), without the HTTP
/// steps in front of them. Returns the client's bearer token.
/// </summary>
public static class StoredClients
{
    public static async Task<string> AddAsync(IServiceProvider services, RelayClient client, string pluginOwner = "teacher-1")
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var token = ClientTokens.New(client.Kind == ClientKind.Plugin ? ClientTokens.PluginPrefix : ClientTokens.ServerSessionPrefix);
        if (client.Kind == ClientKind.Plugin)
        {
            var pairings = services.GetRequiredService<IPairingStore>();
            PairingRecord pairing;
            do
            {
                pairing = new PairingRecord
                {
                    DeviceCodeHash = ClientTokens.Hash(ClientTokens.New(ClientTokens.DeviceCodePrefix)),
                    UserCode = UserCodes.New(), State = PairingState.Pending, CreatedAt = now, ExpiresAt = now.AddMinutes(10),
                };
            }
            while ((await pairings.AddPendingAsync(pairing, int.MaxValue, now)).UserCodeTaken);
            pairing.State = PairingState.Consumed;
            pairing.PluginId = client.Id;
            pairing.DecidedBy = pluginOwner;
            var plugin = new PluginRecord { PluginId = client.Id, OwnerId = pluginOwner, GameId = client.GameId, CreatedAt = now };
            Assert.True(await pairings.ConsumeAsync(pairing, pairing.Version, plugin, ClientTokens.Hash(token)));
        }
        else
        {
            var session = new SessionRecord { Id = client.InboxId, GameId = client.GameId!, JobId = client.Id, PlaceId = 1, StartedAt = now, LastSeenAt = now };
            Assert.NotEqual(SessionRegistration.TooManySessions,
                await services.GetRequiredService<IServerSessionStore>().RegisterAsync(session, ClientTokens.Hash(token), int.MaxValue));
        }
        services.GetRequiredService<IInboxLifecycle>().Opened(client);
        return token;
    }
}
