using Newtonsoft.Json;

namespace Realtime.Testing;

/// <summary>
/// The platform backend as a real process: a script in tests/js that drives the official
/// <c>pusher</c> Node SDK against soketi, prints <c>"&lt;progress word&gt; N"</c> each time Pusher
/// accepted more, and stops when it reads <c>stop</c> on stdin. Subclasses say what N counts.
/// </summary>
public abstract class NodeBackendProcess : IDisposable
{
    private readonly ManagedProcess _node;
    private int _progress;

    protected NodeBackendProcess(SoketiServer soketi, string script, string progressWord, params string[] args)
    {
        var config = JsonConvert.SerializeObject(new
        {
            appId = soketi.Settings.AppId, key = soketi.Settings.Key, secret = soketi.Settings.Secret,
            host = soketi.Host, port = soketi.Port.ToString(),
        });
        var prefix = progressWord + " ";
        _node = new ManagedProcess("node", [RepoPaths.TestScript(script), config, .. args],
            redirectStdin: true,
            onStdoutLine: line =>
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal)) Volatile.Write(ref _progress, int.Parse(line[prefix.Length..]));
            });
    }

    /// <summary>The last N the script reported.</summary>
    protected int Progress => Volatile.Read(ref _progress);

    protected void WriteLine(string line)
    {
        _node.StandardInput.WriteLine(line);
        _node.StandardInput.Flush();
    }

    /// <summary>Waits until the script reports at least <paramref name="count"/>; fails at once if it exited.</summary>
    protected Task UntilProgressAsync(int count, string what) =>
        Wait.UntilAsync(() => Task.FromResult(_node.HasExited ? throw new InvalidOperationException("the backend stopped:\n" + _node.RecentOutput) : Progress >= count),
            Patience.Step, what);

    /// <summary>Tells the script to stop and waits for it to exit; returns the last N it reported.</summary>
    protected async Task<int> StopProcessAsync()
    {
        await _node.StandardInput.WriteLineAsync("stop");
        await _node.StandardInput.FlushAsync();
        if (!await _node.WaitForExitAsync(TimeSpan.FromSeconds(30))) throw new TimeoutException("the backend did not stop:\n" + _node.RecentOutput);
        return Progress;
    }

    public void Dispose() => _node.Dispose();
}
