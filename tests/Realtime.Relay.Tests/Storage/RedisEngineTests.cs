using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Inbox;
using Realtime.Relay.Publishing;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.Redis;
using Realtime.Relay.Tests.Storage.Contract;
using Realtime.Relay.Tests.Support;
using static Realtime.Relay.Tests.Support.StoreSamples;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// What the Redis engine adds beyond the contract suite: nodes sharing one Redis wake each
/// other's readers, a restart of redis-server keeps everything acknowledged, and an unreachable
/// Redis fails writes at once and recovers. Each test that stops Redis has a server of its own.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisEngineTests(RedisFixture shared)
{
    private static readonly InboxOptions Options = new() { MaxEventsPerClient = 100, RetentionSeconds = 3600 };
    private readonly FakeTime _time = new();

    [Fact]
    public async Task An_append_on_one_node_wakes_a_reader_waiting_on_another_which_then_reads_it()
    {
        var prefix = "wake-" + Guid.NewGuid().ToString("N");
        var nodeA = await RedisStores.OpenAsync(shared.Server, prefix, Options, _time);
        var nodeB = await RedisStores.OpenAsync(shared.Server, prefix, Options, _time);
        try
        {
            var client = NewPlugin();
            await nodeA.Inboxes.OpenAsync(client);
            var waiting = nodeB.Signals.Current(client.InboxId);
            Assert.False(waiting.IsCompleted);

            await nodeA.Inboxes.AppendAsync([client.InboxId], new IncomingEvent(client.OwnChannel, "from-a", "{}"));
            await waiting.WaitAsync(Patience.Step); // only Redis pub/sub reaches node B's signals
            var read = Assert.Single(await nodeB.Inboxes.ReadAfterAsync(client.InboxId, 0, 10));
            Assert.Equal((1L, "from-a"), (read.Seq, read.Event));

            waiting = nodeB.Signals.Current(client.InboxId);
            await nodeA.Inboxes.CloseAsync(client);
            await waiting.WaitAsync(Patience.Step);
            Assert.Null(await nodeB.Inboxes.StateOfAsync(client.InboxId));
        }
        finally
        {
            await nodeA.Close();
            await nodeB.Close();
        }
    }

    [Fact]
    public async Task Registrations_racing_on_two_nodes_never_exceed_the_games_limit()
    {
        var prefix = "race-" + Guid.NewGuid().ToString("N");
        var nodes = new[] { await RedisStores.OpenAsync(shared.Server, prefix, Options, _time), await RedisStores.OpenAsync(shared.Server, prefix, Options, _time) };
        try
        {
            var now = _time.GetUtcNow().UtcDateTime;
            var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            {
                var job = new RelayClient(ClientKind.GameServer, "job-" + i, "raced");
                var session = new SessionRecord { Id = job.InboxId, GameId = "raced", JobId = job.Id, PlaceId = 1, StartedAt = now, LastSeenAt = now };
                return nodes[i % 2].Sessions.RegisterAsync(session, ClientTokens.Hash(ClientTokens.New(ClientTokens.ServerSessionPrefix)), 5);
            }));
            Assert.Equal(5, results.Count(r => r == SessionRegistration.Started));
            Assert.Equal(5, (await nodes[0].Sessions.OfGameAsync("raced")).Count);
            Assert.Equal(5, (await nodes[1].Inboxes.AllStatesAsync()).Count(s => s.GameId == "raced"));
        }
        finally
        {
            foreach (var node in nodes) await node.Close();
        }
    }

    [Fact]
    public async Task Killing_and_restarting_redis_server_loses_nothing_that_was_acknowledged()
    {
        await using var server = await RedisServer.StartAsync();
        var stores = await RedisStores.OpenAsync(server, "restart", Options, _time);
        var plugin = NewPlugin();
        var job = new RelayClient(ClientKind.GameServer, "job-1", "g1");
        var token = ClientTokens.New(ClientTokens.ServerSessionPrefix);
        Assert.True(await stores.Games.TryAddAsync(new GameRecord { GameId = "g1", Name = "G", OwnerId = "t", KeyHash = "h", CreatedAt = _time.GetUtcNow().UtcDateTime }));
        var session = new SessionRecord { Id = job.InboxId, GameId = "g1", JobId = job.Id, PlaceId = 7, StartedAt = _time.GetUtcNow().UtcDateTime, LastSeenAt = _time.GetUtcNow().UtcDateTime };
        Assert.Equal(SessionRegistration.Started, await stores.Sessions.RegisterAsync(session, ClientTokens.Hash(token), 10));
        await stores.Inboxes.OpenAsync(plugin);
        for (var i = 1; i <= 3; i++) await stores.Inboxes.AppendAsync([plugin.InboxId, job.InboxId], new IncomingEvent(plugin.OwnChannel, "e" + i, "{}"));
        await stores.Inboxes.AcknowledgeAsync(plugin.InboxId, 1);
        Assert.Equal(1, await stores.Outbox.AcceptAsync([(new OutboxEntry { Channel = "c", Event = "out", Data = "{}", SenderInboxId = job.InboxId }, "k1")], _time.GetUtcNow().UtcDateTime));

        await server.RestartAsync(); // SIGKILL: only what was fsynced to the append-only file survives
        await stores.Close();
        stores = await RedisStores.OpenAsync(server, "restart", Options, _time);
        try
        {
            Assert.Equal(["2:e2", "3:e3"], (await stores.Inboxes.ReadAfterAsync(plugin.InboxId, 0, 10)).Select(e => e.Seq + ":" + e.Event));
            Assert.Equal(3, (await stores.Inboxes.ReadAfterAsync(job.InboxId, 0, 10)).Count);
            Assert.Equal(1, (await stores.Inboxes.StateOfAsync(plugin.InboxId))!.AckedSeq);
            Assert.Equal(job, await stores.Credentials.FindAsync(ClientTokens.Hash(token)));
            Assert.NotNull(await stores.Sessions.FindAsync(job.InboxId));
            Assert.NotNull(await stores.Games.FindAsync("g1"));
            Assert.Equal("out", Assert.Single(await stores.Outbox.OldestAsync(10)).Event);
            Assert.Equal(0, await stores.Outbox.AcceptAsync([(new OutboxEntry { Channel = "c", Event = "again", Data = "{}" }, "k1")], _time.GetUtcNow().UtcDateTime));
        }
        finally
        {
            await stores.Close();
        }
    }

    [Fact]
    public async Task While_redis_is_down_writes_fail_at_once_as_storage_unavailable_and_work_again_once_it_is_back()
    {
        await using var server = await RedisServer.StartAsync();
        RedisStorage? redis = null;
        var stores = await RedisStores.OpenAsync(server, "outage", Options, _time, seen: r => redis = r);
        try
        {
            var client = NewPlugin();
            await stores.Inboxes.OpenAsync(client);
            var readiness = new RedisReadinessCheck(redis!);
            Assert.True((await readiness.CheckAsync(default)).Ready);
            var recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            redis!.Recovered += () => recovered.TrySetResult();

            server.Kill();
            await Wait.UntilAsync(() => Task.FromResult(!redis.Connection.IsConnected), Patience.Step, "the connection to notice redis is gone");
            var failure = await Assert.ThrowsAsync<StorageUnavailableException>(() =>
                stores.Inboxes.AppendAsync([client.InboxId], new IncomingEvent(client.OwnChannel, "lost", "{}")));
            Assert.True(StorageFailures.IsStorageFailure(failure));
            Assert.False((await readiness.CheckAsync(default)).Ready);

            await server.StartAgainAsync();
            await recovered.Task.WaitAsync(Patience.Step);
            await stores.Inboxes.AppendAsync([client.InboxId], new IncomingEvent(client.OwnChannel, "after", "{}"));
            Assert.Equal(["1:after"], (await stores.Inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => e.Seq + ":" + e.Event));
            Assert.True((await readiness.CheckAsync(default)).Ready);
        }
        finally
        {
            await stores.Close();
        }
    }
}
