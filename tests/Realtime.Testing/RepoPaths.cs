namespace Realtime.Testing;

/// <summary>Finds the repository's files from wherever the test assembly runs.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string NodeBin(string name) => Path.Combine(Root, "node_modules", ".bin", name);

    public static string TestScript(string name) => Path.Combine(Root, "tests", "js", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Realtime.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find Realtime.sln above " + AppContext.BaseDirectory);
    }
}
