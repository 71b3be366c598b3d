using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Pusher;
using Realtime.Relay.Clients;
using Realtime.Relay.Configuration;
using Realtime.Relay.Games;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.LiteDb;

namespace Realtime.Relay.Tests.Storage.Contract;

/// <summary>The LiteDB engine's stores on a real LiteDB file in a fresh temp folder, behind a running <see cref="StoreWriter"/>.</summary>
internal static class LiteDbStores
{
    public static Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) =>
        OpenAsync(Path.Combine(Path.GetTempPath(), "store-contract-" + Guid.NewGuid().ToString("N")), options, time);

    private static async Task<StoreSet> OpenAsync(string dir, InboxOptions options, TimeProvider time)
    {
        var settings = new RelaySettings
        {
            DatabasePath = Path.Combine(dir, "relay.db"),
        };
        var db = new RelayDatabase(settings, NullLogger<RelayDatabase>.Instance);
        var writer = new StoreWriter(db, NullLogger<StoreWriter>.Instance);
        await writer.StartAsync(default);
        var signals = new InboxSignals();
        var inboxes = new LiteDbInboxStore(db, writer, signals, options, time);
        var credentials = new LiteDbClientCredentialStore(db);
        var plugins = new LiteDbPluginStore(db, writer, credentials, inboxes);
        return new StoreSet(inboxes, new LiteDbOutboxStore(db, writer, inboxes), credentials, new LiteDbGameStore(db, writer),
            new LiteDbServerSessionStore(db, writer, credentials, inboxes, Options.Create(new ServerSessionOptions())), plugins,
            new LiteDbPairingStore(db, writer, plugins, credentials, inboxes), signals,
            StoredText: () => StoredText(db),
            Close: async () =>
            {
                await writer.StopAsync(default);
                db.Dispose();
                Directory.Delete(dir, recursive: true);
            },
            Reopen: async () =>
            {
                await writer.StopAsync(default);
                db.Dispose();
                return await OpenAsync(dir, options, time);
            });
    }

    /// <summary>Every document of every collection as JSON text.</summary>
    private static string StoredText(RelayDatabase db) => string.Join("\n",
        db.Database.GetCollectionNames().SelectMany(name => db.Database.GetCollection(name).FindAll()).Select(d => LiteDB.JsonSerializer.Serialize(d)));
}

public sealed class LiteDbInboxStoreContract : InboxStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => LiteDbStores.OpenAsync(options, time);
}

public sealed class LiteDbOutboxStoreContract : OutboxStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => LiteDbStores.OpenAsync(options, time);
}

public sealed class LiteDbSessionStoreContract : SessionStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => LiteDbStores.OpenAsync(options, time);

    /// <summary>
    /// What the file holds (seen after a restart, when nothing is in memory): a touch less than half a session timeout
    /// (the default, 30 s) after the file's last-seen time is not written; one later is (docs/storage.md, "Last-seen times").
    /// </summary>
    [Fact]
    public async Task The_file_gets_a_last_seen_time_only_half_a_timeout_after_the_one_it_has()
    {
        var server = NewServer();
        await RegisterAsync(server);
        var registeredAt = Now;
        await TouchAfterAsync(server, TimeSpan.FromSeconds(29));
        await ReopenAsync();
        Assert.Equal(registeredAt, (await Stores.Sessions.FindAsync(server.InboxId))!.LastSeenAt);

        // The first touch after a start reads the file and writes, however recent the file's time (29 s here).
        await TouchAfterAsync(server, TimeSpan.Zero);
        await ReopenAsync();
        Assert.Equal(registeredAt + TimeSpan.FromSeconds(29), (await Stores.Sessions.FindAsync(server.InboxId))!.LastSeenAt);

        await TouchAfterAsync(server, TimeSpan.Zero);
        await TouchAfterAsync(server, TimeSpan.FromSeconds(29));
        await TouchAfterAsync(server, TimeSpan.FromSeconds(1));
        var written = Now;
        await TouchAfterAsync(server, TimeSpan.FromSeconds(1));
        await ReopenAsync();
        Assert.Equal(written, (await Stores.Sessions.FindAsync(server.InboxId))!.LastSeenAt);
    }

    private async Task TouchAfterAsync(RelayClient server, TimeSpan wait)
    {
        Time.Advance(wait);
        await Stores.Sessions.TouchAsync([new(server.InboxId, Time.GetUtcNow())]);
    }
}

public sealed class LiteDbGameStoreContract : GameStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => LiteDbStores.OpenAsync(options, time);
}

public sealed class LiteDbPairingStoreContract : PairingStoreContract
{
    protected override Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time) => LiteDbStores.OpenAsync(options, time);
}
