using Newtonsoft.Json;

namespace Realtime.Testing;

/// <summary>
/// The platform backend publishing without pause: the official <c>pusher</c> Node SDK triggering
/// one event after another with data <c>{i}</c> = 1, 2, 3, … until stopped.
/// </summary>
public sealed class PusherNodeBurst : IDisposable
{
    private readonly ManagedProcess _node;
    private int _published;

    private PusherNodeBurst(SoketiServer soketi, string channel, string eventName, int pauseMs)
    {
        var config = JsonConvert.SerializeObject(new
        {
            appId = soketi.Settings.AppId, key = soketi.Settings.Key, secret = soketi.Settings.Secret,
            host = soketi.Host, port = soketi.Port.ToString(),
        });
        _node = new ManagedProcess("node", [RepoPaths.TestScript("pusher-backend-burst.mjs"), config, channel, eventName, pauseMs.ToString()],
            redirectStdin: true,
            onStdoutLine: line =>
            {
                if (line.StartsWith("published ", StringComparison.Ordinal)) Volatile.Write(ref _published, int.Parse(line["published ".Length..]));
            });
    }

    public static PusherNodeBurst Start(SoketiServer soketi, string channel, string eventName, int pauseMs = 20) =>
        new(soketi, channel, eventName, pauseMs);

    /// <summary>The highest <c>i</c> Pusher has accepted so far.</summary>
    public int Published => Volatile.Read(ref _published);

    /// <summary>Waits until at least <paramref name="count"/> events have been published.</summary>
    public Task UntilPublishedAsync(int count, string what) =>
        Wait.UntilAsync(() => Task.FromResult(_node.HasExited ? throw new InvalidOperationException("the backend stopped:\n" + _node.RecentOutput) : Published >= count),
            TimeSpan.FromSeconds(60), what);

    /// <summary>Stops publishing; returns the last <c>i</c> published.</summary>
    public async Task<int> StopAsync()
    {
        await _node.StandardInput.WriteLineAsync("stop");
        await _node.StandardInput.FlushAsync();
        if (!await _node.WaitForExitAsync(TimeSpan.FromSeconds(30))) throw new TimeoutException("the backend did not stop:\n" + _node.RecentOutput);
        return Published;
    }

    public void Dispose() => _node.Dispose();
}
