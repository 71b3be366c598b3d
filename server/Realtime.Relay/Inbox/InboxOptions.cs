namespace Realtime.Relay.Inbox;

/// <summary>Inbox limits (configuration section "Inbox"; defaults in docs/operations.md).</summary>
public sealed record InboxOptions : Configuration.ICheckedSettings
{
    public const string Section = "Inbox";

    public double RetentionSeconds { get; init; } = TimeSpan.FromHours(24).TotalSeconds;
    public TimeSpan Retention => TimeSpan.FromSeconds(RetentionSeconds);
    public int MaxEventsPerClient { get; init; } = 10_000;
    // The long-poll's defaults and bounds are the API's contract (docs/api.md), not settings.
    public int DefaultWaitSeconds => 20;
    public int MaxWaitSeconds => 25;
    public int DefaultLimit => 100;
    public int MaxLimit => 1000;
    public double SseHeartbeatSeconds { get; init; } = 15;
    public TimeSpan SseHeartbeat => TimeSpan.FromSeconds(SseHeartbeatSeconds);
    public double RetentionSweepSeconds { get; init; } = 60;
    public TimeSpan RetentionSweepInterval => TimeSpan.FromSeconds(RetentionSweepSeconds);
    /// <summary>SSE streams one client (token) may hold open at once; more are 429 <c>too_many_streams</c>.</summary>
    public int MaxStreamsPerClient { get; init; } = 4;
    /// <summary>Long-polls one client may hold at once; a newer one answers the oldest at once (empty).</summary>
    public int MaxHeldPollsPerClient { get; init; } = 4;

    /// <summary>Channels clients may add besides their own (exact names, or prefixes ending in '*'); empty: <see cref="SubscriptionPolicy.DefaultAllowed"/>.</summary>
    public string[] AllowedChannels { get; init; } = [];

    public IEnumerable<string> Problems()
    {
        if (RetentionSeconds <= 0) yield return $"Inbox__RetentionSeconds must be more than 0, not {RetentionSeconds}.";
        if (MaxEventsPerClient < 1) yield return $"Inbox__MaxEventsPerClient must be at least 1, not {MaxEventsPerClient}.";
        if (SseHeartbeatSeconds <= 0) yield return $"Inbox__SseHeartbeatSeconds must be more than 0, not {SseHeartbeatSeconds}.";
        if (RetentionSweepSeconds <= 0) yield return $"Inbox__RetentionSweepSeconds must be more than 0, not {RetentionSweepSeconds}.";
        if (MaxStreamsPerClient < 1) yield return $"Inbox__MaxStreamsPerClient must be at least 1, not {MaxStreamsPerClient}.";
        if (MaxHeldPollsPerClient < 1) yield return $"Inbox__MaxHeldPollsPerClient must be at least 1, not {MaxHeldPollsPerClient}.";
    }
}
