using Newtonsoft.Json;

namespace Realtime.Testing;

/// <summary>
/// The platform backend publishing to many clients: the official <c>pusher</c> Node SDK sending
/// round 1, 2, 3, … (data <c>{round}</c>) to every given channel until stopped
/// (tests/js/pusher-backend-rounds.mjs).
/// </summary>
public sealed class PusherNodeRounds : IDisposable
{
    private readonly ManagedProcess _node;
    private int _round;

    private PusherNodeRounds(SoketiServer soketi, IReadOnlyList<string> channels, string eventName)
    {
        var config = JsonConvert.SerializeObject(new
        {
            appId = soketi.Settings.AppId, key = soketi.Settings.Key, secret = soketi.Settings.Secret,
            host = soketi.Host, port = soketi.Port.ToString(),
        });
        _node = new ManagedProcess("node", [RepoPaths.TestScript("pusher-backend-rounds.mjs"), config, eventName, "200"],
            redirectStdin: true,
            onStdoutLine: line =>
            {
                if (line.StartsWith("round ", StringComparison.Ordinal)) Volatile.Write(ref _round, int.Parse(line["round ".Length..]));
            });
        _node.StandardInput.WriteLine(JsonConvert.SerializeObject(channels));
        _node.StandardInput.Flush();
    }

    public static PusherNodeRounds Start(SoketiServer soketi, IReadOnlyList<string> channels, string eventName) => new(soketi, channels, eventName);

    /// <summary>The last round Pusher accepted on every channel.</summary>
    public int Round => Volatile.Read(ref _round);

    public Task UntilRoundAsync(int round, string what) =>
        Wait.UntilAsync(() => Task.FromResult(_node.HasExited ? throw new InvalidOperationException("the backend stopped:\n" + _node.RecentOutput) : Round >= round),
            Patience.Step, what);

    /// <summary>Stops publishing; returns the last complete round.</summary>
    public async Task<int> StopAsync()
    {
        await _node.StandardInput.WriteLineAsync("stop");
        await _node.StandardInput.FlushAsync();
        if (!await _node.WaitForExitAsync(TimeSpan.FromSeconds(30))) throw new TimeoutException("the backend did not stop:\n" + _node.RecentOutput);
        return Round;
    }

    public void Dispose() => _node.Dispose();
}
