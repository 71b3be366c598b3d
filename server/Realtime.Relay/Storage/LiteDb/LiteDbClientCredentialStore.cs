using System.Collections.Concurrent;
using LiteDB;
using Realtime.Relay.Clients;
using Realtime.Relay.Pairing;

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
    // The remembered tokens by their owner's id, so a revocation (every registration revokes) looks only at its own
    // client's tokens instead of every token remembered: with 20,000 sessions that scan was a quarter of the relay's
    // CPU while servers registered. Under its own lock; lookups of remembered tokens do not take it.
    private readonly Dictionary<string, HashSet<string>> _knownByOwner = new(StringComparer.Ordinal);
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
            Remember(tokenHash, client);
            // A revocation committed while the file was read may have missed this entry: drop it again.
            if (Interlocked.Read(ref _revocations) != revocationsBefore) Unremember(tokenHash, client);
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
        // Also when the group fails: a commit that reported a failure may still have reached the file (docs/storage.md
        // "Event keys" allows for it with closes), and a retried plugin removal then finds no plugin and revokes nothing.
        // Forgetting a token that is still valid only costs a lookup in the file.
        ctx.OnRolledBack(() => Forget(client));
        // Parameterized expressions rather than lambdas: LiteDB translates a lambda on every call and compiles a
        // delegate to read each captured value (a new dynamic method per registration).
        var kind = RelayDatabase.Mapper.Serialize(typeof(ClientKind), client.Kind);
        return client.Kind == ClientKind.Plugin
            ? _tokens.DeleteMany(BsonExpression.Create("ClientId = @0 AND Kind = @1", client.Id, kind))
            : _tokens.DeleteMany(BsonExpression.Create("ClientId = @0 AND Kind = @1 AND GameId = @2", client.Id, kind, client.GameId));
    }

    private void Forget(RelayClient revoked)
    {
        Interlocked.Increment(ref _revocations);
        lock (_knownByOwner)
        {
            // An id that is not a route id has no key of its own: look at every token remembered.
            var candidates = OwnerKey(revoked.Id) is { } key
                ? (_knownByOwner.GetValueOrDefault(key) ?? []).Concat(_knownByOwner.GetValueOrDefault(OtherOwners) ?? [])
                : _knownByOwner.Values.SelectMany(hashes => hashes);
            foreach (var hash in candidates.ToList())
                if (_known.TryGetValue(hash, out var client) && SameTokenOwner(client, revoked)) Unremember(hash, client);
        }
    }

    private void Remember(string tokenHash, RelayClient client)
    {
        lock (_knownByOwner)
        {
            _known[tokenHash] = client;
            var key = BucketOf(client.Id);
            if (!_knownByOwner.TryGetValue(key, out var hashes)) _knownByOwner[key] = hashes = new HashSet<string>(StringComparer.Ordinal);
            hashes.Add(tokenHash);
        }
    }

    private void Unremember(string tokenHash, RelayClient client)
    {
        lock (_knownByOwner)
        {
            _known.TryRemove(tokenHash, out _);
            var key = BucketOf(client.Id);
            if (_knownByOwner.TryGetValue(key, out var hashes) && hashes.Remove(tokenHash) && hashes.Count == 0) _knownByOwner.Remove(key);
        }
    }

    /// <summary>Tokens of owners whose id is not a route id (every id today is; a record from elsewhere might not be).</summary>
    private const string OtherOwners = "";

    /// <summary>
    /// A route id (<c>[A-Za-z0-9_-]</c>) upper-cased, null for any other id. The file compares ids exactly, so every
    /// token <see cref="Revoke"/> deleted has the revoked id and its key. An id <see cref="Same"/> calls equal only under
    /// the culture's rules may be missed: its tokens are still in the file, so remembering them is right.
    /// </summary>
    private static string? OwnerKey(string id) => RequestRules.IsId(id) ? id.ToUpperInvariant() : null;

    /// <summary>Where a token of the owner <paramref name="id"/> is kept in <see cref="_knownByOwner"/>.</summary>
    private static string BucketOf(string id) => OwnerKey(id) ?? OtherOwners;

    /// <summary>
    /// At least every client whose tokens <see cref="Revoke"/> deleted (the file compares ids exactly); ignoring case
    /// forgets more than that, which only costs a lookup in the file.
    /// </summary>
    private static bool SameTokenOwner(RelayClient client, RelayClient revoked) => client.Kind == ClientKind.Plugin
        ? revoked.Kind == ClientKind.Plugin && Same(client.Id, revoked.Id)
        : client.Kind == revoked.Kind && Same(client.Id, revoked.Id) && Same(client.GameId, revoked.GameId);

    private static bool Same(string? a, string? b) =>
        string.Equals(a, b, StringComparison.OrdinalIgnoreCase) || string.Equals(a, b, StringComparison.InvariantCultureIgnoreCase);
}
