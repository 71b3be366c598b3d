using System.Diagnostics;

namespace Realtime.Testing;

/// <summary>
/// A real, small filesystem (tmpfs of a few MB) to fill up: the disk-full case as the relay meets
/// it in production (ENOSPC from write). Mounting needs root, as on the project's test machines.
/// Unmounted on dispose.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    public static SmallDisk Mount(int megabytes)
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "small-disk-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", dir);
        if (code != 0)
        {
            Directory.Delete(dir);
            throw new InvalidOperationException($"mounting a {megabytes} MB tmpfs failed (the disk-full tests need root): {output}");
        }
        return new SmallDisk(dir);
    }

    /// <summary>Writes a filler file until the disk refuses (ENOSPC); returns its path.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler-" + Guid.NewGuid().ToString("N"));
        var block = new byte[4096];
        using var file = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true) file.Write(block);
        }
        catch (IOException) { /* full */ }
        return filler;
    }

    /// <summary>Frees everything <see cref="Fill"/> took.</summary>
    public void Free()
    {
        foreach (var filler in Directory.GetFiles(Path, "filler-*")) File.Delete(filler);
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
