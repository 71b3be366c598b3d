namespace Realtime.Relay.Presence;

/// <summary>Presence settings (configuration section "Presence"; the 45 s silence is in docs/operations.md).</summary>
public sealed record PresenceOptions : Configuration.ICheckedSettings
{
    public const string Section = "Presence";

    /// <summary>A server (or plugin) that has not reported its roster for this long loses its players.</summary>
    public double SilenceSeconds { get; init; } = 45;

    /// <summary>How often the sweep looks for silent reporters; unset: a fifth of the silence, 0.2-5 s.</summary>
    public double? SweepSeconds { get; init; }

    public TimeSpan Silence => TimeSpan.FromSeconds(SilenceSeconds);

    public TimeSpan SweepInterval => TimeSpan.FromSeconds(SweepSeconds ?? Math.Clamp(SilenceSeconds / 5, 0.2, 5));

    public IEnumerable<string> Problems()
    {
        if (SilenceSeconds < 1) yield return $"Presence__SilenceSeconds must be at least 1, not {SilenceSeconds}.";
        if (SweepSeconds is < 0.1) yield return $"Presence__SweepSeconds must be at least 0.1, not {SweepSeconds}.";
    }
}
