using Realtime.Relay.Plugins;

namespace Realtime.Relay.Pairing;

/// <summary>What <see cref="IPairingStore.AddPendingAsync"/> did.</summary>
public sealed record PairingAdmission(bool Added, bool UserCodeTaken = false, int Pending = 0, DateTime? OldestPendingExpiry = null)
{
    /// <summary>Refused because <c>maxPending</c> pairings wait for a decision.</summary>
    public bool Full => !Added && !UserCodeTaken;
}

/// <summary>
/// The storage seam for device-flow pairings (docs/storage.md). Changes are compare-and-set on
/// <see cref="PairingRecord.Version"/>: a caller reads, decides, and writes back only if nobody
/// changed the pairing meanwhile (else it reads again), so no lock is held and a device code is
/// exchanged at most once on any number of nodes.
/// </summary>
public interface IPairingStore
{
    Task<PairingRecord?> FindByDeviceCodeAsync(string deviceCodeHash);

    /// <summary>The newest pairing with exactly this user code.</summary>
    Task<PairingRecord?> NewestWithUserCodeAsync(string userCode);

    /// <summary>
    /// One atomic operation: adds the pending pairing unless its user code is used by a stored
    /// pairing, or <paramref name="maxPending"/> pairings are pending and unexpired at <paramref name="now"/>.
    /// </summary>
    Task<PairingAdmission> AddPendingAsync(PairingRecord pairing, int maxPending, DateTime now);

    /// <summary>
    /// Writes <paramref name="pairing"/> if the stored one is still at <paramref name="expectedVersion"/>;
    /// it is stored at the next version, and <paramref name="pairing"/>'s <see cref="PairingRecord.Version"/> says so.
    /// </summary>
    Task<bool> ReplaceAsync(PairingRecord pairing, long expectedVersion);

    /// <summary>
    /// One atomic operation, if the stored pairing is still at <paramref name="expectedVersion"/>:
    /// writes it consumed, records <paramref name="plugin"/>, stores <paramref name="tokenHash"/>
    /// for it and opens its inbox. False (nothing changed) when someone got there first.
    /// </summary>
    Task<bool> ConsumeAsync(PairingRecord consumed, long expectedVersion, PluginRecord plugin, string tokenHash);

    /// <summary>Forgets pairings that expired before <paramref name="cutoff"/>.</summary>
    Task<int> DeleteExpiredAsync(DateTime cutoff);

    /// <summary>Pairings pending and unexpired at <paramref name="now"/>.</summary>
    Task<int> CountPendingAsync(DateTime now);

    /// <summary>The approver of an approved, unexpired pairing not yet exchanged for this plugin id.</summary>
    Task<string?> PendingOwnerOfAsync(string pluginId, DateTime now);
}
