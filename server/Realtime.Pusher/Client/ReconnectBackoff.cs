namespace Realtime.Pusher.Client;

/// <summary>
/// Exponential back-off with "equal jitter": the n-th retry (1-based) waits a random time in
/// [d/2, d] where d = min(<see cref="Max"/>, <see cref="Initial"/> × 2^(n-1)). So no wait is ever
/// longer than <see cref="Max"/>, and clients that lost the same server do not return in step.
/// </summary>
public sealed record ReconnectBackoff
{
    public ReconnectBackoff(TimeSpan initial, TimeSpan max)
    {
        if (initial <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(initial), "must be positive");
        if (max < initial) throw new ArgumentOutOfRangeException(nameof(max), "must not be less than initial");
        Initial = initial;
        Max = max;
    }

    public TimeSpan Initial { get; }
    public TimeSpan Max { get; }

    /// <summary>The upper bound for retry <paramref name="retry"/> (1-based), before jitter.</summary>
    public TimeSpan Ceiling(int retry)
    {
        if (retry < 1) retry = 1;
        var exponent = Math.Min(retry - 1, 30);
        var ms = Initial.TotalMilliseconds * Math.Pow(2, exponent);
        return TimeSpan.FromMilliseconds(Math.Min(ms, Max.TotalMilliseconds));
    }

    /// <summary>The wait before retry <paramref name="retry"/> (1-based): uniformly in [ceiling/2, ceiling].</summary>
    public TimeSpan Delay(int retry, Random? random = null)
    {
        var ceiling = Ceiling(retry).TotalMilliseconds;
        var r = (random ?? Random.Shared).NextDouble();
        return TimeSpan.FromMilliseconds(ceiling / 2 + r * ceiling / 2);
    }
}
