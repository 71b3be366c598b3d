namespace Realtime.Relay.Meta;

/// <summary>One thing /readyz waits for (LiteDB open, Pusher reachable, …).</summary>
public interface IReadinessCheck
{
    string Name { get; }
    Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken);
}

public sealed record ReadinessResult(bool Ready, string Detail)
{
    public static ReadinessResult Ok(string detail = "ok") => new(true, detail);
    public static ReadinessResult NotReady(string detail) => new(false, detail);
}
