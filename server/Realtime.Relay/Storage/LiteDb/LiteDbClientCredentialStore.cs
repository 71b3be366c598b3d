using LiteDB;
using Realtime.Relay.Clients;

namespace Realtime.Relay.Storage.LiteDb;

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

/// <summary>
/// The <c>client_tokens</c> collection. Reads are direct; tokens are added and revoked only
/// inside the writes of the sessions and plugins they belong to (one transaction each).
/// </summary>
public sealed class LiteDbClientCredentialStore : IClientCredentialStore
{
    private readonly ILiteCollection<ClientCredential> _tokens;

    public LiteDbClientCredentialStore(RelayDatabase db)
    {
        _tokens = db.Collection<ClientCredential>("client_tokens");
        _tokens.EnsureIndex(t => t.ClientId);
    }

    public Task<RelayClient?> FindAsync(string tokenHash) => Task.FromResult(_tokens.FindById(tokenHash)?.ToClient());

    /// <summary>Inside a <see cref="StoreWriter"/> write: stores the token's hash for <paramref name="client"/>.</summary>
    internal void Add(string tokenHash, RelayClient client, DateTime now) => _tokens.Insert(new ClientCredential
    {
        TokenHash = tokenHash,
        Kind = client.Kind,
        ClientId = client.Id,
        GameId = client.GameId,
        CreatedAt = now,
    });

    /// <summary>
    /// Inside a <see cref="StoreWriter"/> write: every token of this client stops working. A plugin
    /// is matched by id alone (as <see cref="RelayClientAccess.SameClient"/> does), a game-server
    /// session by game and job id.
    /// </summary>
    internal int Revoke(RelayClient client) => client.Kind == ClientKind.Plugin
        ? _tokens.DeleteMany(t => t.ClientId == client.Id && t.Kind == ClientKind.Plugin)
        : _tokens.DeleteMany(t => t.ClientId == client.Id && t.Kind == client.Kind && t.GameId == client.GameId);
}
