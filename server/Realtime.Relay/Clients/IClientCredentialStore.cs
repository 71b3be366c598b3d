namespace Realtime.Relay.Clients;

/// <summary>
/// The storage seam for bearer tokens of plugins and game-server sessions (docs/storage.md).
/// Only hashes (<see cref="ClientTokens.Hash"/>) cross it: the plain token is shown once to its
/// client and never stored. Issuing a token is part of the operation that creates its client
/// (a pairing's exchange, a session's registration), so there is no separate "add".
/// </summary>
public interface IClientCredentialStore
{
    /// <summary>The client a token hash belongs to, or null when unknown or revoked.</summary>
    Task<RelayClient?> FindAsync(string tokenHash);
}
