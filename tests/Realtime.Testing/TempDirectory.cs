using System.Collections.Concurrent;

namespace Realtime.Testing;

/// <summary>
/// Scratch directories for a test run (relay databases, copies of files), removed when the
/// test host exits — also for tests that hand a path to a child process and cannot clean up after it.
/// </summary>
public static class TempDirectory
{
    private static readonly ConcurrentBag<string> Made = [];

    static TempDirectory()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var dir in Made)
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        };
    }

    public static string New(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        Made.Add(dir);
        return dir;
    }

    /// <summary>A fresh relay database path (its directory is removed at exit).</summary>
    public static string NewDatabasePath(string prefix = "relay") => Path.Combine(New(prefix), "relay.db");
}
