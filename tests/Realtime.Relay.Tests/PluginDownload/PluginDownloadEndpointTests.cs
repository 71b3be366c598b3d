using System.Net;
using System.Text;
using System.Xml.Linq;
using Newtonsoft.Json.Linq;
using Realtime.Testing;

namespace Realtime.Relay.Tests.PluginDownload;

/// <summary>
/// The served plugin against the repository itself: the expected tree is derived here, simply and
/// independently of the relay's packager, from rojo.project.json and the files on disk.
/// </summary>
public sealed class PluginDownloadEndpointTests : IDisposable
{
    private const string Path_ = "/plugin/RealtimeBridge.rbxmx";
    private const string PublicUrl = "https://relay.example.org";

    private readonly RelayFactory _relay = new(new Dictionary<string, string?> { ["RELAY_PUBLIC_URL"] = PublicUrl });

    [Fact]
    public async Task Serves_an_xml_attachment_named_RealtimeBridge_rbxmx()
    {
        var res = await _relay.CreateClient().GetAsync(Path_);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Contains(res.Content.Headers.ContentType?.MediaType, new[] { "application/xml", "text/xml" });
        Assert.Equal("attachment; filename=\"RealtimeBridge.rbxmx\"", res.Content.Headers.ContentDisposition?.ToString());
        var doc = XDocument.Parse(await res.Content.ReadAsStringAsync());
        Assert.Equal("roblox", doc.Root!.Name.LocalName);
        Assert.Equal("4", (string?)doc.Root.Attribute("version"));
        Assert.Single(doc.Root.Elements());
    }

    [Fact]
    public async Task Tree_matches_the_rojo_project_and_the_files_on_disk()
    {
        var expected = ExpectedTree().Select(e => $"{e.Path} : {e.ClassName}").Order(StringComparer.Ordinal).ToList();
        var served = (await ServedTree()).Select(s => $"{s.Path} : {s.ClassName}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, served);
        // Spot checks that the derivation above saw what the conventions say.
        Assert.Contains("RealtimeBridge : Folder", served);
        Assert.Contains("RealtimeBridge/Plugin : Script", served);
        Assert.Contains("RealtimeBridge/Plugin/Handlers : ModuleScript", served);
        Assert.Contains("RealtimeBridge/Plugin/Handlers/InsertContent : ModuleScript", served);
        Assert.Contains("RealtimeBridge/Shared : Folder", served);
        Assert.Contains("RealtimeBridge/Shared/Config : ModuleScript", served);
        Assert.Contains("RealtimeBridge/GameServer/Bridge : ModuleScript", served);
    }

    [Fact]
    public async Task Every_source_is_the_files_bytes_except_the_marked_baseUrl_line_of_Config()
    {
        var served = (await ServedTree()).ToDictionary(s => s.Path);
        var scripts = ExpectedTree().Where(e => e.File is not null).ToList();
        Assert.True(scripts.Count >= 15, $"only {scripts.Count} scripts found");
        foreach (var script in scripts)
        {
            var fileBytes = File.ReadAllBytes(script.File!);
            var servedSource = served[script.Path].Source;
            Assert.NotNull(servedSource);
            var servedBytes = new UTF8Encoding(false).GetBytes(servedSource);
            if (script.Path != "RealtimeBridge/Shared/Config")
            {
                Assert.True(fileBytes.AsSpan().SequenceEqual(servedBytes), $"{script.Path} differs from {script.File}");
                continue;
            }
            var fileLines = Encoding.UTF8.GetString(fileBytes).Split('\n');
            var servedLines = servedSource.Split('\n');
            Assert.Equal(fileLines.Length, servedLines.Length);
            var differing = Enumerable.Range(0, fileLines.Length).Where(i => fileLines[i] != servedLines[i]).ToList();
            var line = Assert.Single(differing);
            Assert.Matches("""^\tbaseUrl = "http://localhost:5080", -- relay:public-url$""", fileLines[line]);
            Assert.Equal("\tbaseUrl = \"" + PublicUrl + "\", -- relay:public-url", servedLines[line]);
        }
    }

    [Fact]
    public async Task No_spec_file_is_included()
    {
        var specFiles = Directory.GetFiles(Path.Combine(RepoPaths.Root, "roblox-plugin", "src"), "*.spec.luau", SearchOption.AllDirectories);
        Assert.NotEmpty(specFiles);
        var served = await ServedTree();
        Assert.DoesNotContain(served, s => s.Path.Contains("spec", StringComparison.OrdinalIgnoreCase));
        var specSources = specFiles.Select(File.ReadAllText).ToHashSet();
        Assert.DoesNotContain(served, s => s.Source is not null && specSources.Contains(s.Source));
    }

    [Fact]
    public async Task Sources_are_cdata_and_referents_unique_and_the_file_is_the_same_each_time()
    {
        var client = _relay.CreateClient();
        var first = await client.GetByteArrayAsync(Path_);
        var second = await client.GetByteArrayAsync(Path_);
        Assert.Equal(first, second);

        var doc = XDocument.Parse(Encoding.UTF8.GetString(first));
        var items = doc.Descendants("Item").ToList();
        var referents = items.Select(i => (string?)i.Attribute("referent")).ToList();
        Assert.All(referents, r => Assert.Matches("^RBX[0-9A-F]+$", r));
        Assert.Equal(referents.Count, referents.Distinct().Count());
        foreach (var source in doc.Descendants("ProtectedString"))
        {
            Assert.Equal("Source", (string?)source.Attribute("name"));
            Assert.All(source.Nodes(), n => Assert.IsType<XCData>(n));
        }
        Assert.All(items, i => Assert.Single(i.Element("Properties")!.Elements("string"), s => (string?)s.Attribute("name") == "Name"));
    }

    [Fact]
    public async Task The_game_server_module_alone_is_a_RealtimeBridge_ModuleScript_with_Shared_inside_and_the_relay_url()
    {
        var res = await _relay.CreateClient().GetAsync("/plugin/RealtimeBridgeServer.rbxmx");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("attachment; filename=\"RealtimeBridgeServer.rbxmx\"", res.Content.Headers.ContentDisposition?.ToString());
        var doc = XDocument.Parse(await res.Content.ReadAsStringAsync());
        Assert.Single(doc.Root!.Elements("Item"));
        var served = ServedItems(doc).ToDictionary(s => s.Path);

        // The module as game code requires it: ServerScriptService.RealtimeBridge, Shared inside.
        var src = Path.Combine(RepoPaths.Root, "roblox-plugin", "src");
        var shared = Directory.GetFiles(Path.Combine(src, "Shared"), "*.luau")
            .Where(f => !f.EndsWith(".spec.luau")).Select(f => "RealtimeBridge/Shared/" + Path.GetFileNameWithoutExtension(f));
        var expected = new[] { "RealtimeBridge", "RealtimeBridge/Shared" }.Concat(shared).Order(StringComparer.Ordinal);
        Assert.Equal(expected, served.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("ModuleScript", served["RealtimeBridge"].ClassName);
        Assert.Equal(File.ReadAllText(Path.Combine(src, "GameServer", "Bridge.luau")), served["RealtimeBridge"].Source);
        Assert.Equal("Folder", served["RealtimeBridge/Shared"].ClassName);
        Assert.Equal(File.ReadAllText(Path.Combine(src, "Shared", "Poller.luau")), served["RealtimeBridge/Shared/Poller"].Source);
        Assert.Contains("\tbaseUrl = \"" + PublicUrl + "\", -- relay:public-url\n", served["RealtimeBridge/Shared/Config"].Source);
        Assert.DoesNotContain(served.Values, s => s.ClassName == "Script");
    }

    [Fact]
    public async Task Without_sources_the_game_server_module_answers_503_problem()
    {
        var nowhere = Path.Combine(Path.GetTempPath(), "no-plugin-here-" + Guid.NewGuid().ToString("N"));
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:PluginSourceRoot"] = nowhere });
        var res = await relay.CreateClient().GetAsync("/plugin/RealtimeBridgeServer.rbxmx");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, res.StatusCode);
        Assert.Equal("plugin_unavailable", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["code"]);
    }

    [Fact]
    public async Task Without_a_public_url_the_request_scheme_and_host_are_used()
    {
        using var relay = new RelayFactory();
        var doc = XDocument.Parse(await relay.CreateClient().GetStringAsync(Path_));
        var config = ServedItems(doc).Single(s => s.Path == "RealtimeBridge/Shared/Config");
        Assert.Contains("\tbaseUrl = \"http://localhost\", -- relay:public-url\n", config.Source);
    }

    [Fact]
    public async Task A_source_root_set_in_configuration_is_used()
    {
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:PluginSourceRoot"] = RepoPaths.Root });
        var res = await relay.CreateClient().GetAsync(Path_);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
    }

    [Fact]
    public async Task Missing_sources_answer_503_problem_with_the_reason()
    {
        var nowhere = Path.Combine(Path.GetTempPath(), "no-plugin-here-" + Guid.NewGuid().ToString("N"));
        using var relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:PluginSourceRoot"] = nowhere });
        var client = relay.CreateClient();
        var res = await client.GetAsync(Path_);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var json = JObject.Parse(await res.Content.ReadAsStringAsync());
        Assert.Equal("plugin_unavailable", (string?)json["code"]);
        Assert.Equal(503, (int)json["status"]!);
        Assert.Contains("source folder does not exist", (string?)json["detail"]);
        Assert.DoesNotContain(nowhere, json.ToString()); // server paths stay in the log
        // The rest of the relay is unaffected.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Sources_without_the_url_marker_answer_503_rather_than_a_plugin_for_localhost()
    {
        var copy = Path.Combine(Path.GetTempPath(), "plugin-copy-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.Copy(Path.Combine(RepoPaths.Root, "rojo.project.json"), Path.Combine(Directory.CreateDirectory(copy).FullName, "rojo.project.json"));
            var src = Path.Combine(RepoPaths.Root, "roblox-plugin", "src");
            foreach (var file in Directory.GetFiles(src, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy, "roblox-plugin", "src", Path.GetRelativePath(src, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllText(target, File.ReadAllText(file).Replace(" -- relay:public-url", ""));
            }
            using var relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:PluginSourceRoot"] = copy });
            var res = await relay.CreateClient().GetAsync(Path_);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, res.StatusCode);
            Assert.Contains("relay:public-url", (string?)JObject.Parse(await res.Content.ReadAsStringAsync())["detail"]);
        }
        finally { Directory.Delete(copy, recursive: true); }
    }

    public void Dispose() => _relay.Dispose();

    // --- the test's own reading of the project -------------------------------------------------

    private sealed record Expected(string Path, string ClassName, string? File);

    private sealed record Served(string Path, string ClassName, string? Source);

    private async Task<List<Served>> ServedTree() =>
        ServedItems(XDocument.Parse(await _relay.CreateClient().GetStringAsync(Path_)));

    private static List<Served> ServedItems(XDocument doc)
    {
        var result = new List<Served>();
        void Walk(XElement item, string parent)
        {
            var props = item.Element("Properties")!;
            var name = (string)props.Elements("string").Single(e => (string?)e.Attribute("name") == "Name");
            var path = parent.Length == 0 ? name : parent + "/" + name;
            var source = props.Elements("ProtectedString").SingleOrDefault(e => (string?)e.Attribute("name") == "Source")?.Value;
            result.Add(new Served(path, (string)item.Attribute("class")!, source));
            foreach (var child in item.Elements("Item")) Walk(child, path);
        }
        Walk(doc.Root!.Element("Item")!, "");
        return result;
    }

    /// <summary>rojo.project.json + the file system, by Rojo's conventions, spec files left out.</summary>
    private static List<Expected> ExpectedTree()
    {
        var project = JObject.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "rojo.project.json")));
        // This derivation only knows how to leave out *.spec.luau; make sure that is all the project asks.
        Assert.Equal(new[] { "**/*.spec.luau" }, project["globIgnorePaths"]!.Select(t => (string)t!));

        var result = new List<Expected>();
        void Node(JObject node, string path)
        {
            if (node["$path"] is { } p) Dir(Path.Combine(RepoPaths.Root, (string)p!), path);
            else result.Add(new Expected(path, (string)node["$className"]!, null));
            foreach (var child in node.Properties().Where(c => !c.Name.StartsWith('$')))
                Node((JObject)child.Value, path + "/" + child.Name);
        }
        void Dir(string dir, string path)
        {
            var init = new[] { ("init.server.luau", "Script"), ("init.client.luau", "LocalScript"), ("init.luau", "ModuleScript") }
                .Where(i => File.Exists(Path.Combine(dir, i.Item1))).ToList();
            Assert.True(init.Count <= 1, dir);
            result.Add(init.Count == 0
                ? new Expected(path, "Folder", null)
                : new Expected(path, init[0].Item2, Path.Combine(dir, init[0].Item1)));
            foreach (var sub in Directory.GetDirectories(dir)) Dir(sub, path + "/" + Path.GetFileName(sub));
            foreach (var file in Directory.GetFiles(dir))
            {
                var name = Path.GetFileName(file);
                if (name.EndsWith(".spec.luau") || init.Any(i => i.Item1 == name)) continue;
                if (name.EndsWith(".server.luau")) result.Add(new Expected(path + "/" + name[..^".server.luau".Length], "Script", file));
                else if (name.EndsWith(".client.luau")) result.Add(new Expected(path + "/" + name[..^".client.luau".Length], "LocalScript", file));
                else if (name.EndsWith(".luau")) result.Add(new Expected(path + "/" + name[..^".luau".Length], "ModuleScript", file));
                else Assert.Fail($"{file}: this test only knows .luau files");
            }
        }
        Node((JObject)project["tree"]!, (string)project["name"]!);
        return result;
    }
}
