namespace Realtime.Testing;

/// <summary>
/// The platform backend publishing without pause: the official <c>pusher</c> Node SDK triggering
/// one event after another with data <c>{i}</c> = 1, 2, 3, … until stopped
/// (tests/js/pusher-backend-burst.mjs).
/// </summary>
public sealed class PusherNodeBurst : NodeBackendProcess
{
    private PusherNodeBurst(SoketiServer soketi, string channel, string eventName, int pauseMs)
        : base(soketi, "pusher-backend-burst.mjs", "published", channel, eventName, pauseMs.ToString()) { }

    public static PusherNodeBurst Start(SoketiServer soketi, string channel, string eventName, int pauseMs = 20) =>
        new(soketi, channel, eventName, pauseMs);

    /// <summary>The highest <c>i</c> Pusher has accepted so far.</summary>
    public int Published => Progress;

    /// <summary>Waits until at least <paramref name="count"/> events have been published.</summary>
    public Task UntilPublishedAsync(int count, string what) => UntilProgressAsync(count, what);

    /// <summary>Stops publishing; returns the last <c>i</c> published.</summary>
    public Task<int> StopAsync() => StopProcessAsync();
}
