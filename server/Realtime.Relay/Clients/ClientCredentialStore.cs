using LiteDB;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Clients;

/// <summary>A stored bearer token: only its hash, and whose it is.</summary>
public sealed class ClientCredential
{
    /// <summary>SHA-256 of the token (<see cref="ClientTokens.Hash"/>).</summary>
    [BsonId] public string TokenHash { get; set; } = "";
    public ClientKind Kind { get; set; }
    public string ClientId { get; set; } = "";
    public string? GameId { get; set; }
    public DateTime CreatedAt { get; set; }

    public RelayClient ToClient() => new(Kind, ClientId, GameId);
}

/// <summary>Issues, resolves and revokes the bearer tokens of plugins and game-server sessions.</summary>
public sealed class ClientCredentialStore
{
    private readonly ILiteCollection<ClientCredential> _tokens;

    public ClientCredentialStore(RelayDatabase db)
    {
        _tokens = db.Collection<ClientCredential>("client_tokens");
        _tokens.EnsureIndex(t => t.ClientId);
    }

    /// <summary>A new token for <paramref name="client"/>; the caller shows it once.</summary>
    public string Issue(RelayClient client)
    {
        var token = ClientTokens.New(client.Kind == ClientKind.Plugin ? ClientTokens.PluginPrefix : ClientTokens.ServerSessionPrefix);
        _tokens.Insert(new ClientCredential
        {
            TokenHash = ClientTokens.Hash(token),
            Kind = client.Kind,
            ClientId = client.Id,
            GameId = client.GameId,
            CreatedAt = DateTime.UtcNow,
        });
        return token;
    }

    public RelayClient? Resolve(string token) => _tokens.FindById(ClientTokens.Hash(token))?.ToClient();

    /// <summary>
    /// Every token of this client stops working at once. A plugin is matched by id alone (as
    /// <see cref="RelayClientAccess.SameClient"/> does), a game-server session by game and job id.
    /// </summary>
    public int Revoke(RelayClient client) => client.Kind == ClientKind.Plugin
        ? _tokens.DeleteMany(t => t.ClientId == client.Id && t.Kind == ClientKind.Plugin)
        : _tokens.DeleteMany(t => t.ClientId == client.Id && t.Kind == client.Kind && t.GameId == client.GameId);
}
