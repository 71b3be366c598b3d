using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Relay.Clients;
using Realtime.Relay.Configuration;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.LiteDb;

namespace Realtime.Relay.Tests.Support;

/// <summary>
/// The LiteDB inbox store on a real file, behind a running writer, as the relay opens it. Disposing stops the writer
/// cleanly and closes the file; a test that restarts the store opens the same path again.
/// </summary>
internal sealed class LiteDbInboxFile : IAsyncDisposable
{
    private LiteDbInboxFile(RelayDatabase db, StoreWriter writer, LiteDbInboxStore inboxes, InboxSignals signals) =>
        (Db, Writer, Inboxes, Signals) = (db, writer, inboxes, signals);

    public RelayDatabase Db { get; }
    public StoreWriter Writer { get; }
    public LiteDbInboxStore Inboxes { get; }
    public InboxSignals Signals { get; }

    /// <param name="postponeFetchedWrites">How long a fetched copy's write waits (<see cref="LiteDbInboxStore.PostponeFetchedWrites"/>); the relay's own when null.</param>
    /// <param name="options">The inbox limits; the relay's defaults when null.</param>
    public static async Task<LiteDbInboxFile> OpenAsync(string dbPath, TimeSpan? postponeFetchedWrites = null, InboxOptions? options = null)
    {
        var db = new RelayDatabase(new RelaySettings { DatabasePath = dbPath }, NullLogger<RelayDatabase>.Instance);
        var writer = new StoreWriter(db, NullLogger<StoreWriter>.Instance);
        await writer.StartAsync(default);
        var signals = new InboxSignals();
        return new LiteDbInboxFile(db, writer, new LiteDbInboxStore(db, writer, signals, options ?? new InboxOptions(), new FakeTime())
        {
            PostponeFetchedWrites = postponeFetchedWrites ?? LiteDbInboxStore.DefaultPostponeFetchedWrites,
        }, signals);
    }

    /// <summary>
    /// One write that closes the client's inbox and opens it again under the same id, as a game server registering again
    /// under its job id does.
    /// </summary>
    public Task CloseAndOpenAgainAsync(RelayClient client) => Writer.WriteAsync(ctx =>
    {
        Inboxes.Close(ctx, client.InboxId);
        Inboxes.Open(ctx, client);
    });

    /// <summary>The events the file holds (not what memory has).</summary>
    public int EventsInFile() => Db.Database.GetCollection("events").Count();

    public async ValueTask DisposeAsync()
    {
        await Writer.StopAsync(default);
        Db.Dispose();
    }
}
