using System.Collections.Concurrent;
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
/// The <c>client_tokens</c> collection. Tokens are added and revoked only inside the writes of the
/// sessions and plugins they belong to (one transaction each). Every request looks its token up,
/// so tokens found are remembered in memory; a revocation forgets its client's tokens as soon as
/// it is committed, before the revoking request is answered (docs/storage.md, "Client tokens in
/// memory"). LiteDB is one node, so this process sees every revocation.
/// </summary>
public sealed class LiteDbClientCredentialStore : IClientCredentialStore
{
    /// <summary>Beyond this many remembered tokens, lookups go to the file (bounds memory).</summary>
    internal const int MaxRemembered = 100_000;

    private readonly ILiteCollection<ClientCredential> _tokens;
    private readonly ConcurrentDictionary<string, RelayClient> _known = new(StringComparer.Ordinal);
    // Moved on by every committed revocation: a lookup that read the file before one does not remember what it read.
    private long _revocations;

    public LiteDbClientCredentialStore(RelayDatabase db)
    {
        _tokens = db.Collection<ClientCredential>("client_tokens");
        _tokens.EnsureIndex(t => t.ClientId);
    }

    public Task<RelayClient?> FindAsync(string tokenHash)
    {
        if (_known.TryGetValue(tokenHash, out var known)) return Task.FromResult<RelayClient?>(known);
        var revocationsBefore = Interlocked.Read(ref _revocations);
        var client = _tokens.FindById(tokenHash)?.ToClient();
        if (client is not null && _known.Count < MaxRemembered)
        {
            _known[tokenHash] = client;
            // A revocation committed while the file was read may have missed this entry: drop it again.
            if (Interlocked.Read(ref _revocations) != revocationsBefore) _known.TryRemove(tokenHash, out _);
        }
        return Task.FromResult(client);
    }

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
    /// session by game and job id. Remembered tokens are forgotten once the write is committed
    /// (before its caller hears back); until then the file still has them anyway.
    /// </summary>
    internal int Revoke(WriteContext ctx, RelayClient client)
    {
        ctx.OnCommitted(() => Forget(client));
        return client.Kind == ClientKind.Plugin
            ? _tokens.DeleteMany(t => t.ClientId == client.Id && t.Kind == ClientKind.Plugin)
            : _tokens.DeleteMany(t => t.ClientId == client.Id && t.Kind == client.Kind && t.GameId == client.GameId);
    }

    private void Forget(RelayClient revoked)
    {
        Interlocked.Increment(ref _revocations);
        foreach (var (hash, client) in _known)
            if (SameTokenOwner(client, revoked)) _known.TryRemove(hash, out _);
    }

    /// <summary>
    /// At least every client whose tokens <see cref="Revoke"/> deleted. LiteDB compares ignoring case,
    /// so this does too: forgetting one token too many only costs a lookup in the file.
    /// </summary>
    private static bool SameTokenOwner(RelayClient client, RelayClient revoked) => client.Kind == ClientKind.Plugin
        ? revoked.Kind == ClientKind.Plugin && Same(client.Id, revoked.Id)
        : client.Kind == revoked.Kind && Same(client.Id, revoked.Id) && Same(client.GameId, revoked.GameId);

    private static bool Same(string? a, string? b) =>
        string.Equals(a, b, StringComparison.OrdinalIgnoreCase) || string.Equals(a, b, StringComparison.InvariantCultureIgnoreCase);
}
