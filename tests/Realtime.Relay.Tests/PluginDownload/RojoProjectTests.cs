using Realtime.Relay.PluginDownload;

namespace Realtime.Relay.Tests.PluginDownload;

/// <summary>The packager's reading of Rojo conventions, on small projects made here.</summary>
public sealed class RojoProjectTests : IDisposable
{
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "rojo-test-" + Guid.NewGuid().ToString("N"))).FullName;

    private void Write(string relative, string content)
    {
        var full = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    private PluginInstance Load() => RojoProject.Load(Path.Combine(_dir, "rojo.project.json"));

    private static string Describe(PluginInstance node, string parent = "")
    {
        var path = parent + "/" + node.Name;
        return $"{path}:{node.ClassName}\n" + string.Concat(node.Children.Select(c => Describe(c, path)));
    }

    [Fact]
    public void Maps_files_and_folders_by_rojo_conventions()
    {
        Write("rojo.project.json", """
            { "name": "Game", "globIgnorePaths": ["**/*.spec.lua", "src/skip/**"],
              "tree": { "$className": "Folder", "Src": { "$path": "src" }, "Extra": { "$className": "Configuration" } } }
            """);
        Write("src/Main/init.server.lua", "-- main");
        Write("src/Main/Helper.lua", "return 1");
        Write("src/Main/Helper.spec.lua", "-- spec");
        Write("src/Ui.client.lua", "-- ui");
        Write("src/Lib/init.luau", "return {}");
        Write("src/Lib/Deep/Thing.luau", "return 2");
        Write("src/Empty/.keep", "");
        Write("src/skip/Gone.lua", "-- ignored by glob (the folder itself stays, as with Rojo's globs)");
        Write("src/README.md", "ignored by Rojo too");

        Assert.Equal("""
            /Game:Folder
            /Game/Extra:Configuration
            /Game/Src:Folder
            /Game/Src/Empty:Folder
            /Game/Src/Lib:ModuleScript
            /Game/Src/Lib/Deep:Folder
            /Game/Src/Lib/Deep/Thing:ModuleScript
            /Game/Src/Main:Script
            /Game/Src/Main/Helper:ModuleScript
            /Game/Src/Ui:LocalScript
            /Game/Src/skip:Folder

            """.Replace("\r\n", "\n"), Describe(Load()));
    }

    [Fact]
    public void Sources_are_read_exactly()
    {
        Write("rojo.project.json", """{ "name": "P", "tree": { "$path": "src" } }""");
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF, (byte)'-', (byte)'-', 0xC3, 0xA9, (byte)'\n' };
        Directory.CreateDirectory(Path.Combine(_dir, "src"));
        File.WriteAllBytes(Path.Combine(_dir, "src", "M.lua"), bytes);
        var module = Assert.Single(Load().Children);
        Assert.Equal(bytes, new System.Text.UTF8Encoding(false).GetBytes(module.Source!));
    }

    [Theory]
    [InlineData("src/Data.json", "only handles .lua and .luau")]
    [InlineData("src/Two/init.lua", "more than one init script")]
    public void Files_it_cannot_package_are_refused_with_a_reason(string extraFile, string reason)
    {
        Write("rojo.project.json", """{ "name": "P", "tree": { "$path": "src" } }""");
        Write("src/Two/init.server.lua", "-- a");
        Write(extraFile, "{}");
        var e = Assert.Throws<PluginSourceException>(Load);
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain(_dir, e.Message);
    }

    [Fact]
    public void A_missing_path_or_project_is_refused_with_a_reason()
    {
        Assert.Contains("rojo.project.json is missing", Assert.Throws<PluginSourceException>(Load).Message);
        Write("rojo.project.json", """{ "name": "P", "tree": { "$className": "Folder", "A": { "$path": "nope" } } }""");
        Assert.Contains("does not exist", Assert.Throws<PluginSourceException>(Load).Message);
    }

    [Theory]
    [InlineData("**/*.spec.lua", "a/b/C.spec.lua", true)]
    [InlineData("**/*.spec.lua", "C.spec.lua", true)]
    [InlineData("**/*.spec.lua", "a/C.lua", false)]
    [InlineData("src/*.lua", "src/a/B.lua", false)]
    [InlineData("src/**", "src/a/B.lua", true)]
    [InlineData("src/?.lua", "src/A.lua", true)]
    public void Globs_match_as_rojo_does(string glob, string path, bool matches) =>
        Assert.Equal(matches, RojoProject.GlobToRegex(glob).IsMatch(path));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
