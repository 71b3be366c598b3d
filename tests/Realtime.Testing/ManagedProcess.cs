using System.Collections.Concurrent;
using System.Diagnostics;

namespace Realtime.Testing;

/// <summary>
/// A child process owned by a test: output kept for failure messages, the whole
/// process tree killed on dispose (and at test-host exit), so nothing outlives the run.
/// </summary>
public sealed class ManagedProcess : IDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Process _process;

    static ManagedProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var p in Live.Values) TryKill(p);
        };
    }

    public ManagedProcess(string fileName, IEnumerable<string> args, IDictionary<string, string?>? env = null,
        string? workingDirectory = null, bool redirectStdin = false, Action<string>? onStdoutLine = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
        }
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Keep(e.Data);
            onStdoutLine?.Invoke(e.Data);
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Keep(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Live[_process.Id] = _process;
        Name = Path.GetFileName(fileName) + " " + string.Join(' ', psi.ArgumentList.Take(2));
    }

    public string Name { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;
    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>The last lines the process printed, for assertion messages.</summary>
    public string RecentOutput => string.Join('\n', _output.TakeLast(60));

    /// <summary>Whether any kept line (the last 400) contains <paramref name="text"/>.</summary>
    public bool HasPrinted(string text) => _output.Any(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>SIGKILL to the whole tree; returns once the process is gone.</summary>
    public void Kill()
    {
        TryKill(_process);
        try { _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        Live.TryRemove(_process.Id, out _);
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); return true; }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>Sends SIGTERM (graceful stop) and waits; kills if it does not stop in time.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        try { Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit(2000); } catch { }
        if (!await WaitForExitAsync(timeout)) Kill();
        Live.TryRemove(_process.Id, out _);
    }

    public void Dispose() => Kill();

    private void Keep(string line)
    {
        _output.Enqueue(line);
        while (_output.Count > 400) _output.TryDequeue(out _);
    }

    private static void TryKill(Process p)
    {
        try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch { }
    }
}
