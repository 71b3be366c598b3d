namespace Realtime.Relay.Storage;

/// <summary>
/// Part of the storage seam (docs/storage.md): tells when storage works again after writes
/// failed, so what could not be stored meanwhile is told to clients as <c>relay:gap</c>.
/// The LiteDB engine's <see cref="StoreWriter"/> raises it when its probe write commits.
/// </summary>
public interface IStorageRecovery
{
    event Action? Recovered;
}
