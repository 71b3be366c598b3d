namespace Realtime.Testing;

/// <summary>
/// How long a test waits for something that should happen promptly before it calls the run a
/// failure. These are deadlines for giving up, never claims about speed: CI shares two cores
/// with soketi, the relay and Node, so they are generous, and a passing run never waits for them.
/// </summary>
public static class Patience
{
    /// <summary>For one step: a connection, a subscription, an event, an answer.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    /// <summary>For a whole bulk step (thousands of subscriptions or events).</summary>
    public static readonly TimeSpan Bulk = TimeSpan.FromSeconds(180);
}
