using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Inbox;
using Realtime.Relay.Pairing;
using Realtime.Relay.Plugins;
using Realtime.Relay.Publishing;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Storage.Contract;

/// <summary>Every store of one storage engine, opened together (operations span aggregates).</summary>
public sealed record StoreSet(
    IInboxStore Inboxes, IOutboxStore Outbox, IClientCredentialStore Credentials, IGameStore Games,
    IServerSessionStore Sessions, IPluginStore Plugins, IPairingStore Pairings, InboxSignals Signals,
    Func<string> StoredText, Func<ValueTask> Close, Func<Task<StoreSet>> Reopen);

/// <summary>
/// The storage seam's contract (docs/storage.md), one abstract class per aggregate. An engine
/// takes part by deriving each class and opening its stores in <see cref="OpenAsync"/> — a real
/// engine on a fresh, empty store (LiteDB: a file in a temp folder), never a fake.
/// </summary>
public abstract class StoreContract : IAsyncLifetime
{
    /// <summary>Small, so the count limit is reached in a test.</summary>
    protected const int MaxEventsPerInbox = 5;

    protected static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    protected FakeTime Time { get; } = new();
    protected StoreSet Stores { get; private set; } = null!;
    protected IInboxStore Inboxes => Stores.Inboxes;
    protected DateTime Now => Time.GetUtcNow().UtcDateTime;

    /// <summary>Opens the engine's stores on an empty store, with these inbox limits and this clock.</summary>
    protected abstract Task<StoreSet> OpenAsync(InboxOptions options, TimeProvider time);

    public async Task InitializeAsync() =>
        Stores = await OpenAsync(new InboxOptions { MaxEventsPerClient = MaxEventsPerInbox, RetentionSeconds = Retention.TotalSeconds }, Time);

    public async Task DisposeAsync() => await Stores.Close();

    /// <summary>Closes the engine and opens it again on what it stored (a restart of the relay, or of the engine).</summary>
    protected async Task ReopenAsync() => Stores = await Stores.Reopen();

    protected static RelayClient NewPlugin(string? gameId = null) => new(ClientKind.Plugin, ClientTokens.NewId(), gameId);

    protected static RelayClient NewServer(string gameId = "g1") => new(ClientKind.GameServer, "job-" + ClientTokens.NewId(), gameId);

    protected static IncomingEvent Event(RelayClient client, string name) => new(client.OwnChannel, name, "{\"n\":\"" + name + "\"}");

    protected async Task<List<string>> ReadAsync(RelayClient client, long after = 0) =>
        (await Inboxes.ReadAfterAsync(client.InboxId, after, 100)).Select(e => e.Seq + ":" + e.Event).ToList();

    /// <summary>A game-server session as registration stores it; returns its token.</summary>
    protected async Task<(string Token, SessionRegistration Result)> RegisterAsync(RelayClient server, int maxPerGame = 10, long placeId = 1)
    {
        var token = ClientTokens.New(ClientTokens.ServerSessionPrefix);
        var session = new SessionRecord { Id = server.InboxId, GameId = server.GameId!, JobId = server.Id, PlaceId = placeId, StartedAt = Now, LastSeenAt = Now };
        return (token, await Stores.Sessions.RegisterAsync(session, ClientTokens.Hash(token), maxPerGame));
    }

    /// <summary>A pending pairing (fresh device code and user code), added.</summary>
    protected async Task<PairingRecord> AddPairingAsync(string? userCode = null, TimeSpan? lifetime = null)
    {
        var pairing = new PairingRecord
        {
            DeviceCodeHash = ClientTokens.Hash(ClientTokens.New(ClientTokens.DeviceCodePrefix)),
            UserCode = userCode ?? UserCodes.New(),
            State = PairingState.Pending,
            CreatedAt = Now,
            ExpiresAt = Now + (lifetime ?? TimeSpan.FromMinutes(10)),
            IntervalSeconds = 5,
        };
        Assert.True((await Stores.Pairings.AddPendingAsync(pairing, 100, Now)).Added);
        return pairing;
    }

    /// <summary>Approves and exchanges a pairing as the device flow does; returns the plugin, its token and the consumed pairing.</summary>
    protected async Task<(RelayClient Plugin, string Token, PairingRecord Pairing)> PairAsync(string owner = "teacher-1", string? gameId = null)
    {
        var pairing = await AddPairingAsync();
        pairing.GameId = gameId;
        pairing.State = PairingState.Approved;
        pairing.PluginId = ClientTokens.NewId();
        pairing.DecidedBy = owner;
        Assert.True(await Stores.Pairings.ReplaceAsync(pairing, pairing.Version));
        var token = ClientTokens.New(ClientTokens.PluginPrefix);
        pairing.State = PairingState.Consumed;
        var plugin = new PluginRecord { PluginId = pairing.PluginId, OwnerId = owner, GameId = gameId, CreatedAt = Now };
        Assert.True(await Stores.Pairings.ConsumeAsync(pairing, pairing.Version, plugin, ClientTokens.Hash(token)));
        return (plugin.ToClient(), token, pairing);
    }
}
