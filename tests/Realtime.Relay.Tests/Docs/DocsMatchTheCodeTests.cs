using System.Text.RegularExpressions;
using Realtime.Relay.Configuration;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Docs;

/// <summary>docs/ names files and settings that exist: a rename or a new variable fails here, not in a reader's hands.</summary>
public sealed partial class DocsMatchTheCodeTests
{
    private static string Doc(string name) => File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", name));

    [Fact]
    public void Every_source_file_the_docs_name_exists()
    {
        var named = Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md")
            .SelectMany(f => SourcePath().Matches(File.ReadAllText(f)).Select(m => (Doc: Path.GetFileName(f), Path: m.Value)))
            .ToList();
        Assert.NotEmpty(named);
        Assert.All(named, n => Assert.True(File.Exists(Path.Combine(RepoPaths.Root, n.Path)), $"{n.Doc} names {n.Path}, which does not exist"));
    }

    [Fact]
    public void Each_walk_in_the_architecture_goes_through_at_most_four_files()
    {
        var text = Doc("architecture.md");
        var walks = Regex.Split(text, "^### ", RegexOptions.Multiline).Where(s => s.StartsWith("Walk", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, walks.Count);
        foreach (var walk in walks)
        {
            var body = walk.Split("\n## ")[0];
            var files = SourcePath().Matches(body).Select(m => m.Value).Distinct().Count();
            Assert.InRange(files, 1, 4);
        }
    }

    [Fact]
    public void The_operations_settings_table_lists_exactly_the_mapped_environment_names()
    {
        var documented = VariableName().Matches(Doc("operations.md")).Select(m => m.Groups[1].Value).ToHashSet();
        var mapped = EnvironmentNames.Map.Select(m => m.Variable).ToHashSet();
        Assert.Empty(mapped.Except(documented)); // mapped but not documented
        Assert.Empty(documented.Except(mapped)); // documented but the relay does not read it
    }

    [GeneratedRegex(@"(?:server|tests)/[A-Za-z0-9_./-]+\.cs")]
    private static partial Regex SourcePath();

    [GeneratedRegex(@"`((?:PUSHER|AUTH|RELAY)_[A-Z_]+)`")]
    private static partial Regex VariableName();
}
