using LiteDB;
using Realtime.Relay.Games;
using Realtime.Relay.Inbox;
using Realtime.Relay.Pairing;
using Realtime.Relay.Plugins;

namespace Realtime.Relay.Storage.LiteDb;

/// <summary>
/// Which property of each feature's record is its LiteDB <c>_id</c>. Kept here rather than as
/// attributes on the records, so the records the storage seam passes around know nothing of
/// LiteDB (docs/storage.md). The ids are the same as the files have always stored.
/// </summary>
internal static class LiteDbDocuments
{
    public static BsonMapper Configure(BsonMapper mapper)
    {
        mapper.Entity<InboxState>().Id(s => s.InboxId, autoId: false);
        mapper.Entity<StoredEvent>().Id(e => e.Id, autoId: false);
        mapper.Entity<GameRecord>().Id(g => g.GameId, autoId: false);
        mapper.Entity<SessionRecord>().Id(s => s.Id, autoId: false);
        mapper.Entity<PluginRecord>().Id(p => p.PluginId, autoId: false);
        mapper.Entity<PairingRecord>().Id(p => p.DeviceCodeHash, autoId: false);
        return mapper;
    }
}
