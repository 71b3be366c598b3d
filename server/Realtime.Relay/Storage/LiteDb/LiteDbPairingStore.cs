using LiteDB;
using Realtime.Relay.Clients;
using Realtime.Relay.Pairing;
using Realtime.Relay.Plugins;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// The <c>pairings</c> collection. Every change is one <see cref="StoreWriter"/> write that
/// compares the stored <see cref="PairingRecord.Version"/> first; the exchange writes the
/// pairing, the plugin, its token hash and its inbox in that one write.
/// </summary>
public sealed class LiteDbPairingStore : IPairingStore
{
    private readonly StoreWriter _writer;
    private readonly ILiteCollection<PairingRecord> _pairings;
    private readonly LiteDbPluginStore _plugins;
    private readonly LiteDbClientCredentialStore _credentials;
    private readonly LiteDbInboxStore _inboxes;

    public LiteDbPairingStore(RelayDatabase db, StoreWriter writer, LiteDbPluginStore plugins,
        LiteDbClientCredentialStore credentials, LiteDbInboxStore inboxes)
    {
        _writer = writer;
        _plugins = plugins;
        _credentials = credentials;
        _inboxes = inboxes;
        _pairings = db.Collection<PairingRecord>("pairings");
        _pairings.EnsureIndex(p => p.UserCode);
        _pairings.EnsureIndex(p => p.PluginId);
        _pairings.EnsureIndex(p => p.ExpiresAt);
    }

    public Task<PairingRecord?> FindByDeviceCodeAsync(string deviceCodeHash) =>
        Task.FromResult(_pairings.FindById(deviceCodeHash) is { } p && p.DeviceCodeHash == deviceCodeHash ? p : null);

    public Task<PairingRecord?> NewestWithUserCodeAsync(string userCode) => Task.FromResult(
        _pairings.Find(p => p.UserCode == userCode).Where(p => p.UserCode == userCode).OrderByDescending(p => p.CreatedAt).FirstOrDefault());

    public Task<PairingAdmission> AddPendingAsync(PairingRecord pairing, int maxPending, DateTime now) => _writer.WriteAsync(_ =>
    {
        var pending = _pairings.Find(p => p.ExpiresAt > now).Where(p => p.State == PairingState.Pending).ToList();
        if (pending.Count >= maxPending) return new PairingAdmission(false, Pending: pending.Count, OldestPendingExpiry: pending.Min(p => p.ExpiresAt));
        var code = pairing.UserCode;
        if (_pairings.Exists(p => p.UserCode == code)) return new PairingAdmission(false, UserCodeTaken: true);
        _pairings.Insert(pairing);
        return new PairingAdmission(true);
    });

    public Task<bool> ReplaceAsync(PairingRecord pairing, long expectedVersion) => _writer.WriteAsync(_ => Replace(pairing, expectedVersion));

    public Task<bool> ConsumeAsync(PairingRecord consumed, long expectedVersion, PluginRecord plugin, string tokenHash) =>
        _writer.WriteAsync(ctx =>
        {
            if (!Replace(consumed, expectedVersion)) return false;
            _plugins.Add(plugin);
            var client = new RelayClient(ClientKind.Plugin, plugin.PluginId, plugin.GameId);
            _credentials.Add(tokenHash, client, plugin.CreatedAt);
            _inboxes.Open(ctx, client);
            return true;
        });

    /// <summary>Inside a write: stores the pairing at the next version if it is still at <paramref name="expectedVersion"/>.</summary>
    private bool Replace(PairingRecord pairing, long expectedVersion)
    {
        if (_pairings.FindById(pairing.DeviceCodeHash) is not { } stored || stored.Version != expectedVersion) return false;
        var next = expectedVersion + 1;
        pairing.Version = next;
        if (_pairings.Update(pairing)) return true;
        pairing.Version = expectedVersion;
        return false;
    }

    public Task<int> DeleteExpiredAsync(DateTime cutoff) => _writer.WriteAsync(_ => _pairings.DeleteMany(p => p.ExpiresAt < cutoff));

    public Task<int> CountPendingAsync(DateTime now) =>
        Task.FromResult(_pairings.Count(p => p.State == PairingState.Pending && p.ExpiresAt > now));

    public Task<string?> PendingOwnerOfAsync(string pluginId, DateTime now) => Task.FromResult(
        _pairings.Find(p => p.PluginId == pluginId)
            .FirstOrDefault(p => p.PluginId == pluginId && p.State == PairingState.Approved && p.ExpiresAt > now)?.DecidedBy);
}
