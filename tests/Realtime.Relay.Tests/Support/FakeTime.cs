namespace Realtime.Relay.Tests.Support;

/// <summary>A clock tests move by hand. Timers still run on real time (the base class's).</summary>
public sealed class FakeTime(DateTimeOffset? start = null) : TimeProvider
{
    private DateTimeOffset _now = start ?? new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly Lock _gate = new();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate) _now += by;
    }
}
