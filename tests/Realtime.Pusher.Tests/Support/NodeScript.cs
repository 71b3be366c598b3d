using System.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Pusher.Tests.Support;

/// <summary>Runs a script from tests/js with the node found on PATH, passing input and output JSON files.</summary>
public static class NodeScript
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string FindNode()
    {
        var exe = OperatingSystem.IsWindows() ? "node.exe" : "node";
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("node is not on PATH; the cross-check against the official Pusher Node SDK needs it");
    }

    public static async Task<JObject> RunAsync(string script, JObject input, TimeSpan? timeout = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "realtime-pusher-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var inPath = Path.Combine(dir, "input.json");
            var outPath = Path.Combine(dir, "output.json");
            await File.WriteAllTextAsync(inPath, input.ToString(Formatting.None));

            var psi = new ProcessStartInfo(FindNode())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = RepoRoot,
            };
            psi.ArgumentList.Add(Path.Combine(RepoRoot, "tests", "js", script));
            psi.ArgumentList.Add(inPath);
            psi.ArgumentList.Add(outPath);
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"node {script} did not finish in time");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"node {script} exited with {process.ExitCode}:\n{await stderr}\n{await stdout}");
            var text = await File.ReadAllTextAsync(outPath);
            using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None };
            return JObject.Load(reader);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Realtime.sln"))) return d.FullName;
        }
        throw new InvalidOperationException("Cannot find Realtime.sln above " + AppContext.BaseDirectory);
    }
}
