using Newtonsoft.Json;

namespace Realtime.Testing;

/// <summary>
/// The platform backend publishing to many clients: the official <c>pusher</c> Node SDK sending
/// round 1, 2, 3, … (data <c>{round}</c>) to every given channel until stopped
/// (tests/js/pusher-backend-rounds.mjs).
/// </summary>
public sealed class PusherNodeRounds : NodeBackendProcess
{
    private PusherNodeRounds(SoketiServer soketi, IReadOnlyList<string> channels, string eventName)
        : base(soketi, "pusher-backend-rounds.mjs", "round", eventName, "200") =>
        WriteLine(JsonConvert.SerializeObject(channels));

    public static PusherNodeRounds Start(SoketiServer soketi, IReadOnlyList<string> channels, string eventName) => new(soketi, channels, eventName);

    /// <summary>The last round Pusher accepted on every channel.</summary>
    public int Round => Progress;

    public Task UntilRoundAsync(int round, string what) => UntilProgressAsync(round, what);

    /// <summary>Stops publishing; returns the last complete round.</summary>
    public Task<int> StopAsync() => StopProcessAsync();
}
