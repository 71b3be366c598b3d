namespace Realtime.Relay.Games;

/// <summary>Configuration section <c>Relay</c> (e.g. <c>Relay__ServerSessionTimeoutSeconds</c>).</summary>
public sealed class ServerSessionOptions
{
    public const string Section = "Relay";

    /// <summary>A game-server session that has not called for this long is ended (docs/operations.md "Settings": 60 s).</summary>
    public double ServerSessionTimeoutSeconds { get; set; } = 60;

    /// <summary>Live server sessions one game may hold at once (<c>Relay__MaxSessionsPerGame</c>).</summary>
    public int MaxSessionsPerGame { get; set; } = 200;

    public TimeSpan Timeout => TimeSpan.FromSeconds(Math.Max(0.1, ServerSessionTimeoutSeconds));

    /// <summary>How often the sweeper looks: a quarter of the timeout, between 0.1 s and 5 s.</summary>
    public TimeSpan SweepInterval => TimeSpan.FromSeconds(Math.Clamp(Timeout.TotalSeconds / 4, 0.1, 5));
}
