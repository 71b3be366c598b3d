using System.Collections.Concurrent;
using System.Diagnostics;
using Realtime.Pusher.Client;
using Realtime.Pusher.Rest;
using Realtime.Testing;
using Xunit.Abstractions;

namespace Realtime.Pusher.Tests.Client;

public sealed class PusherConnectionPoolTests(ClientSoketiFixture env, ITestOutputHelper output) : IClassFixture<ClientSoketiFixture>
{
    private static readonly TimeSpan Timeout = Patience.Step;

    [Fact]
    public async Task Five_thousand_channels_subscribe_on_fifty_connections_and_each_gets_its_own_event()
    {
        const int count = 5000;
        await using var pool = new PusherConnectionPool(env.Options);
        var prefix = ClientTestKit.Unique("bulk");
        var channels = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToArray();

        var clock = Stopwatch.StartNew();
        var subs = channels.Select(c => pool.Add(c)).ToArray();
        await Task.WhenAll(subs.Select(s => s.WaitUntilSubscribedAsync())).WaitAsync(Patience.Bulk);
        var subscribed = clock.Elapsed;

        var snapshot = pool.GetSnapshot();
        Assert.Equal(50, snapshot.Connections);
        Assert.True(snapshot.AllConnected);
        Assert.Equal(count, snapshot.Channels);
        Assert.Equal(count, snapshot.SubscribedChannels);
        Assert.Equal(0, snapshot.PendingChannels + snapshot.FailedChannels);
        Assert.All(snapshot.PerConnection, c => Assert.Equal(100, c.Channels));

        // Each channel its own event: batches of 10 (Pusher's batch limit), 16 requests in flight.
        clock.Restart();
        var received = subs.Select(s => s.NextEventAsync("own", Patience.Bulk)).ToArray();
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(channels.Chunk(10).Select(async chunk =>
        {
            await gate.WaitAsync();
            try { await env.Rest.TriggerBatchAsync(chunk.Select(c => new BatchEvent { Channel = c, Name = "own", Data = new { channel = c } }).ToList()); }
            finally { gate.Release(); }
        }));
        var triggered = clock.Elapsed;
        var events = await Task.WhenAll(received).WaitAsync(Patience.Bulk);
        var delivered = clock.Elapsed;
        for (var i = 0; i < count; i++) Assert.Equal(channels[i], (string?)events[i].Data!["channel"]);

        output.WriteLine($"{count} channels on {snapshot.Connections} connections: subscribed in {subscribed.TotalMilliseconds:0} ms; " +
                         $"500 batch triggers sent in {triggered.TotalMilliseconds:0} ms; all {count} events received after {delivered.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Channels_are_added_and_removed_at_run_time_and_empty_connections_close()
    {
        await using var pool = new PusherConnectionPool(env.Options, new PusherPoolOptions { ChannelsPerConnection = 2 });
        await pool.StartAsync().WaitAsync(Timeout);
        Assert.Equal(1, pool.GetSnapshot().ConnectedConnections);

        var names = Enumerable.Range(0, 5).Select(i => ClientTestKit.Unique("rt" + i)).ToArray();
        var subs = await Task.WhenAll(names.Select(n => pool.AddAsync(n))).WaitAsync(Timeout);
        Assert.Same(subs[0], pool.Add(names[0])); // idempotent
        var snapshot = pool.GetSnapshot();
        Assert.Equal(3, snapshot.Connections);
        Assert.Equal([2, 2, 1], snapshot.PerConnection.Select(c => c.Channels));

        // Empty the second connection: it closes; the others keep working.
        var second = subs[2].Connection;
        Assert.Same(second, subs[3].Connection);
        await pool.RemoveAsync(names[2]);
        await pool.RemoveAsync(names[3]);
        Assert.Equal(PusherConnectionState.Disposed, second.State);
        await subs[2].Events.Completion.WaitAsync(Timeout);
        snapshot = pool.GetSnapshot();
        Assert.Equal(2, snapshot.Connections);
        Assert.Equal(3, snapshot.Channels);
        Assert.Null(pool.Get(names[2]));

        var added = await pool.AddAsync(ClientTestKit.Unique("late")).WaitAsync(Timeout);
        Assert.Same(subs[4].Connection, added.Connection); // fills the free slot first
        foreach (var sub in new[] { subs[0], subs[1], subs[4], added })
        {
            await env.Rest.TriggerAsync(sub.Channel, "ping-each", new { sub.Channel });
            await sub.NextEventAsync("ping-each", Timeout);
        }
    }

    [Fact]
    public async Task A_slow_consumer_of_one_channel_does_not_stall_the_others_and_learns_what_it_lost()
    {
        var options = new PusherPoolOptions { Client = new PusherClientOptions { SubscriptionBufferCapacity = 5 } };
        await using var pool = new PusherConnectionPool(env.Options, options);
        var slow = await pool.AddAsync(ClientTestKit.Unique("slow")).WaitAsync(Timeout);
        var fast = await pool.AddAsync(ClientTestKit.Unique("fast")).WaitAsync(Timeout);
        Assert.Same(slow.Connection, fast.Connection);

        for (var i = 0; i < 20; i++)
            await env.Rest.TriggerAsync(slow.Channel, "flood", new { i });
        await env.Rest.TriggerAsync(fast.Channel, "quick", new { });
        await fast.NextEventAsync("quick", Timeout);
        await Wait.UntilAsync(() => Task.FromResult(slow.DroppedEvents == 15), Timeout, "15 dropped events on the slow channel");

        var first = await slow.NextAsync(_ => true, Timeout);
        Assert.Equal(PusherEventKind.Gap, first.Kind);
        Assert.Equal(GapReason.BufferOverflow, first.GapReason);
        Assert.Equal(15, first.DroppedEvents);
        for (var i = 15; i < 20; i++)
            Assert.Equal(i, (int)(await slow.NextAsync(_ => true, Timeout)).Data!["i"]!);
        Assert.Equal(15, pool.GetSnapshot().DroppedEvents);
    }

    [Fact]
    public async Task The_snapshot_counts_reconnects_and_the_pool_reports_each_connections_gap()
    {
        await using var soketi = await SoketiServer.StartAsync(ClientTestKit.Settings);
        var options = ClientTestKit.OptionsFor(soketi);
        await using var pool = new PusherConnectionPool(options, new PusherPoolOptions { ChannelsPerConnection = 2 });
        var gaps = new ConcurrentQueue<string>();
        pool.ChannelsResumedAfterGap += (_, channels) => { foreach (var c in channels) gaps.Enqueue(c); };
        var names = Enumerable.Range(0, 5).Select(i => ClientTestKit.Unique("g" + i)).ToArray();
        await Task.WhenAll(names.Select(n => pool.AddAsync(n))).WaitAsync(Timeout);

        soketi.Kill();
        await Wait.UntilAsync(() => Task.FromResult(pool.GetSnapshot().ConnectedConnections == 0), Timeout, "all connections to drop");
        var down = pool.GetSnapshot();
        Assert.False(down.AllConnected);
        Assert.Equal(5, down.PendingChannels);
        Assert.Equal(PusherErrorKind.ConnectionLost, down.LastError!.Kind);

        await soketi.StartAgainAsync();
        await Wait.UntilAsync(() => Task.FromResult(gaps.Count == 5), Timeout, "gap reports for all channels");
        var up = pool.GetSnapshot();
        Assert.True(up.AllConnected);
        Assert.Equal(3, up.Reconnects);
        Assert.Equal(5, up.SubscribedChannels);
        Assert.Equal(names.Order(), gaps.Order());
    }

    [Fact]
    public async Task A_refused_pool_says_so_in_its_snapshot_and_does_not_open_more_connections()
    {
        await using var pool = new PusherConnectionPool(env.Options with { Key = "wrong-key" }, new PusherPoolOptions { ChannelsPerConnection = 1 });
        await Assert.ThrowsAsync<PusherConnectionException>(() => pool.StartAsync().WaitAsync(Timeout));
        var sub = pool.Add("after-refusal-1");
        await Assert.ThrowsAsync<PusherConnectionException>(() => sub.WaitUntilSubscribedAsync().WaitAsync(Timeout));
        pool.Add("after-refusal-2");
        var snapshot = pool.GetSnapshot();
        Assert.True(snapshot.Refused);
        Assert.Equal(1, snapshot.Connections);
        Assert.Equal(1, snapshot.ConnectAttempts);
        Assert.Equal(4001, snapshot.LastError!.Code);
    }
}
