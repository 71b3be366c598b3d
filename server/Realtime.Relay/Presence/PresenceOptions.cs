namespace Realtime.Relay.Presence;

/// <summary>Presence settings (configuration section "Presence"). DESIGN.md gives the 45 s silence.</summary>
public sealed record PresenceOptions
{
    /// <summary>A server (or plugin) that has not reported its roster for this long loses its players.</summary>
    public TimeSpan Silence { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>How often the sweep looks for silent reporters. Defaults to a fifth of <see cref="Silence"/>, at most 5 s.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(5);

    public static PresenceOptions From(IConfiguration config)
    {
        var section = config.GetSection("Presence");
        var silence = TimeSpan.FromSeconds(Math.Max(1, section.GetValue("SilenceSeconds", 45.0)));
        var defaultSweep = Math.Clamp(silence.TotalSeconds / 5, 0.2, 5);
        return new PresenceOptions
        {
            Silence = silence,
            SweepInterval = TimeSpan.FromSeconds(Math.Max(0.1, section.GetValue("SweepSeconds", defaultSweep))),
        };
    }
}
