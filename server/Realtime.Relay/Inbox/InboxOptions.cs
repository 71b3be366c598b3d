namespace Realtime.Relay.Inbox;

/// <summary>Inbox limits (configuration section "Inbox"). DESIGN.md gives the defaults.</summary>
public sealed record InboxOptions
{
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(24);
    public int MaxEventsPerClient { get; init; } = 10_000;
    public int DefaultWaitSeconds { get; init; } = 20;
    public int MaxWaitSeconds { get; init; } = 25;
    public int DefaultLimit { get; init; } = 100;
    public int MaxLimit { get; init; } = 1000;
    public TimeSpan SseHeartbeat { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RetentionSweepInterval { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>SSE streams one client (token) may hold open at once; more are 429 <c>too_many_streams</c>.</summary>
    public int MaxStreamsPerClient { get; init; } = 4;
    /// <summary>Long-polls one client may hold at once; a newer one answers the oldest at once (empty).</summary>
    public int MaxHeldPollsPerClient { get; init; } = 4;

    public static InboxOptions From(IConfiguration config)
    {
        var section = config.GetSection("Inbox");
        var defaults = new InboxOptions();
        return new InboxOptions
        {
            Retention = TimeSpan.FromSeconds(section.GetValue("RetentionSeconds", defaults.Retention.TotalSeconds)),
            MaxEventsPerClient = section.GetValue("MaxEventsPerClient", defaults.MaxEventsPerClient),
            SseHeartbeat = TimeSpan.FromSeconds(section.GetValue("SseHeartbeatSeconds", defaults.SseHeartbeat.TotalSeconds)),
            RetentionSweepInterval = TimeSpan.FromSeconds(section.GetValue("RetentionSweepSeconds", defaults.RetentionSweepInterval.TotalSeconds)),
            MaxStreamsPerClient = section.GetValue("MaxStreamsPerClient", defaults.MaxStreamsPerClient),
            MaxHeldPollsPerClient = section.GetValue("MaxHeldPollsPerClient", defaults.MaxHeldPollsPerClient),
        };
    }
}
