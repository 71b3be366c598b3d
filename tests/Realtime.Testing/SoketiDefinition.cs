namespace Realtime.Testing;

/// <summary>
/// The soketi app every fixture runs, read from the repository's <c>soketi.env</c> — the same file
/// <c>make dev</c> (scripts/dev.sh) and deploy/compose.yaml use, so tests and development cannot drift.
/// </summary>
public static class SoketiDefinition
{
    public static string FilePath { get; } = Path.Combine(RepoPaths.Root, "soketi.env");

    /// <summary>The file's variables (<c>SOKETI_DEFAULT_APP_ID</c>, …), in order.</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = Read(FilePath);

    public static string Value(string name) =>
        Environment.TryGetValue(name, out var value) ? value : throw new InvalidOperationException($"{FilePath} does not set {name}.");

    private static Dictionary<string, string> Read(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var eq = line.IndexOf('=');
            if (eq <= 0) throw new FormatException($"{path}: '{line}' is not KEY=VALUE.");
            values[line[..eq]] = line[(eq + 1)..];
        }
        return values;
    }
}
