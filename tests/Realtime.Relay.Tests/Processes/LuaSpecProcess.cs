using System.Threading.Channels;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// One end-to-end Luau script (roblox-plugin/e2e/*.e2e.luau) run under Lune, and the line
/// protocol of roblox-plugin/e2e/lune/Harness.luau: the script prints
/// <c>E2E&gt; name {json}</c> when it needs the test (<see cref="ExpectAsync"/>), and waits,
/// still running its Roblox code, for the file <c>E2E_DIR/name</c> (<see cref="Answer"/>);
/// its steps are TAP lines.
/// </summary>
public sealed class LuaSpecProcess : IAsyncDisposable
{
    private const string Marker = "E2E> ";
    private readonly ManagedProcess _process;
    private readonly Channel<(string Name, JObject Data)> _markers = Channel.CreateUnbounded<(string, JObject)>();
    private readonly List<string> _lines = new();
    private readonly string _dir;

    private LuaSpecProcess(string program, string[] args, string dir, IDictionary<string, string?> env)
    {
        _dir = dir;
        var all = new Dictionary<string, string?>(env) { ["E2E_DIR"] = dir };
        _process = new ManagedProcess(program, args, all,
            workingDirectory: Path.Combine(RepoPaths.Root, "roblox-plugin"), onStdoutLine: OnLine);
    }

    /// <summary>Runs <paramref name="script"/> (relative to roblox-plugin/) under Lune through scripts/lune.</summary>
    public static LuaSpecProcess StartLune(string script, string dir, IDictionary<string, string?> env) =>
        new(Path.Combine(RepoPaths.Root, "scripts", "lune"), ["run", script], dir, env);

    /// <summary>Everything the spec printed on stdout (TAP lines, its prints, the markers).</summary>
    public string Output
    {
        get { lock (_lines) return string.Join('\n', _lines); }
    }

    /// <summary>Waits for the next marker, which must be one of <paramref name="names"/>.</summary>
    public async Task<(string Name, JObject Data)> ExpectAnyAsync(TimeSpan timeout, params string[] names)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_markers.Reader.TryRead(out var marker))
            {
                if (names.Contains(marker.Name)) return marker;
                throw new InvalidOperationException(
                    $"The Lua spec said '{marker.Name}' where the test expected {string.Join(" or ", names)}.\n{Failure()}");
            }
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(TimeSpan.FromSeconds(10)); // returns once its last lines are read
                if (_markers.Reader.TryPeek(out _)) continue;
                throw new InvalidOperationException(
                    $"The Lua spec ended (exit code {_process.ExitCode}) before saying {string.Join(" or ", names)}.\n{Failure()}");
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for the Lua spec to say {string.Join(" or ", names)}.\n{Failure()}");
            using var poll = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try { await _markers.Reader.WaitToReadAsync(poll.Token); }
            catch (OperationCanceledException) { }
        }
    }

    public async Task<JObject> ExpectAsync(string name, TimeSpan? timeout = null) =>
        (await ExpectAnyAsync(timeout ?? TimeSpan.FromSeconds(90), name)).Data;

    /// <summary>Lets the spec go on past <c>E2E.await(name)</c>, handing it <paramref name="value"/> as JSON.</summary>
    public void Answer(string name, object? value = null)
    {
        var path = Path.Combine(_dir, name);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonConvert.SerializeObject(value ?? new { }));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Waits for the script to end and returns the TAP results; fails unless every step passed.</summary>
    public async Task<LuaSpecResult> FinishAsync(TimeSpan? timeout = null)
    {
        if (!await _process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60)))
            throw new TimeoutException("The Lua spec did not end.\n" + Failure());
        string[] lines;
        lock (_lines) lines = _lines.ToArray();
        var result = new LuaSpecResult(
            lines.Count(l => l.StartsWith("ok ") && !l.Contains("# SKIP")),
            lines.Count(l => l.StartsWith("not ok ")),
            lines.Count(l => l.StartsWith("ok ") && l.Contains("# SKIP")),
            string.Join('\n', lines));
        if (_process.ExitCode != 0 || result.Failed > 0)
            throw new InvalidOperationException($"The Lua spec failed (exit code {_process.ExitCode}).\n{Failure()}");
        return result;
    }

    private string Failure() => "--- Lua spec output ---\n" + Output + "\n--- stderr and recent output ---\n" + _process.RecentOutput;

    private void OnLine(string line)
    {
        lock (_lines) _lines.Add(line);
        var at = line.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0) return;
        var rest = line[(at + Marker.Length)..];
        var space = rest.IndexOf(' ');
        var name = space < 0 ? rest : rest[..space];
        var data = space < 0 ? new JObject() : JToken.Parse(rest[(space + 1)..]) as JObject ?? new JObject();
        _markers.Writer.TryWrite((name, data));
    }

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>TAP counts of one e2e run.</summary>
public sealed record LuaSpecResult(int Passed, int Failed, int Skipped, string Tap);
