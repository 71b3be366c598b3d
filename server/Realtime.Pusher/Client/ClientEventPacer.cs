namespace Realtime.Pusher.Client;

/// <summary>
/// Holds client events to at most <c>perSecond</c> in any one-second window (Pusher's limit is 10 per
/// second per connection). Callers are queued, not refused: <see cref="Reserve"/> hands out the next
/// free send slot and tells the caller how long to wait for it. The window is one second plus a small
/// margin (<see cref="Margin"/>) so network jitter cannot bunch 11 events into the server's one second.
/// Thread-safe; pure apart from the clock.
/// </summary>
internal sealed class ClientEventPacer
{
    private readonly object _lock = new();
    public static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(25);

    private readonly long[] _slots; // timestamps (TimeProvider ticks) of the last N sends, a ring
    private readonly long _window;
    private readonly TimeProvider _time;
    private int _next;

    public ClientEventPacer(int perSecond, TimeProvider time)
    {
        _slots = new long[perSecond];
        Array.Fill(_slots, long.MinValue);
        _time = time;
        _window = time.TimestampFrequency + (long)Math.Ceiling(Margin.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Reserves the next send slot; returns how long to wait before sending (zero when free now).</summary>
    public TimeSpan Reserve()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var oldest = _slots[_next];
            var at = oldest == long.MinValue ? now : Math.Max(now, oldest + _window);
            _slots[_next] = at;
            _next = (_next + 1) % _slots.Length;
            if (at <= now) return TimeSpan.Zero;
            // Round up, so a caller never sends a tick early.
            var freq = _time.TimestampFrequency;
            var ticks = ((at - now) * TimeSpan.TicksPerSecond + freq - 1) / freq;
            return TimeSpan.FromTicks(ticks);
        }
    }
}
