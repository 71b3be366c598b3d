using Realtime.Pusher.Client;

namespace Realtime.Pusher.Tests.Client;

public sealed class EventBufferTests
{
    private static PusherEvent E(int i) => new() { Kind = PusherEventKind.Event, Channel = "c", Event = "e" + i };

    [Fact]
    public async Task Events_come_out_in_order_and_the_stream_ends_after_completion()
    {
        var buffer = new DropOldestEventBuffer("c", 10, TimeProvider.System);
        for (var i = 0; i < 3; i++) Assert.True(buffer.Write(E(i)));
        buffer.Complete();
        Assert.False(buffer.Write(E(9)));
        var names = new List<string>();
        await foreach (var e in buffer.ReadAllAsync()) names.Add(e.Event);
        Assert.Equal(["e0", "e1", "e2"], names);
        Assert.True(buffer.Completion.IsCompleted);
    }

    [Fact]
    public void When_full_the_oldest_are_dropped_and_a_gap_marker_takes_their_place()
    {
        var buffer = new DropOldestEventBuffer("c", 3, TimeProvider.System);
        for (var i = 0; i < 8; i++) buffer.Write(E(i));
        Assert.Equal(5, buffer.DroppedTotal);
        Assert.Equal(4, buffer.Count);
        Assert.True(buffer.TryRead(out var gap));
        Assert.Equal(PusherEventKind.Gap, gap.Kind);
        Assert.Equal(GapReason.BufferOverflow, gap.GapReason);
        Assert.Equal(5, gap.DroppedEvents);
        Assert.Equal("c", gap.Channel);
        var rest = new List<string>();
        while (buffer.TryRead(out var e)) rest.Add(e.Event);
        Assert.Equal(["e5", "e6", "e7"], rest);

        // A later overflow gets its own marker with its own count.
        for (var i = 10; i < 14; i++) buffer.Write(E(i));
        Assert.True(buffer.TryRead(out var second));
        Assert.Equal(1, second.DroppedEvents);
        Assert.Equal(6, buffer.DroppedTotal);
    }

    [Fact]
    public async Task A_waiting_reader_wakes_on_write_and_writing_never_waits_for_it()
    {
        var buffer = new DropOldestEventBuffer("c", 2, TimeProvider.System);
        var wait = buffer.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        buffer.Write(E(1));
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(5)));
        using var cts = new CancellationTokenSource();
        while (buffer.TryRead(out _)) { }
        var cancelled = buffer.WaitToReadAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
    }
}
