using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Relay.PluginDownload;

/// <summary>
/// Reads a <c>rojo.project.json</c> and the files it names into an instance tree, following
/// Rojo's file conventions: <c>*.server.lua</c> → Script, <c>*.client.lua</c> → LocalScript,
/// other <c>*.lua</c> → ModuleScript (<c>.luau</c> likewise); a folder with an <c>init</c> script
/// becomes that script, named after the folder, with the other files as its children; other
/// folders → Folder. <c>globIgnorePaths</c> are matched against paths relative to the project file.
/// Files Rojo would turn into other instances (json, txt, csv, models, meta files) are refused
/// rather than dropped; files Rojo ignores are ignored. Children are sorted by name (ordinal).
/// </summary>
public static class RojoProject
{
    public const string FileName = "rojo.project.json";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly (string Suffix, string ClassName)[] ScriptSuffixes =
    [
        (".server.lua", "Script"), (".server.luau", "Script"),
        (".client.lua", "LocalScript"), (".client.luau", "LocalScript"),
        (".lua", "ModuleScript"), (".luau", "ModuleScript"),
    ];

    /// <summary>Rojo turns these into instances the relay does not package.</summary>
    private static readonly string[] UnsupportedRojoExtensions = [".json", ".toml", ".txt", ".csv", ".rbxm", ".rbxmx"];

    private static readonly HashSet<string> KnownNodeKeys = ["$className", "$path", "$ignoreUnknownInstances"];

    /// <summary>Reads the project file and everything it points at.</summary>
    /// <exception cref="PluginSourceException">the project or a file it names is missing or not supported.</exception>
    public static PluginInstance Load(string projectFile)
    {
        if (!File.Exists(projectFile))
            throw new PluginSourceException($"{FileName} is missing from the plugin source folder.");

        JObject project;
        try { project = JObject.Parse(File.ReadAllText(projectFile)); }
        catch (JsonException e) { throw new PluginSourceException($"{FileName} is not valid JSON: {e.Message}"); }

        var name = project["name"] is JValue { Type: JTokenType.String } n ? (string)n! : null;
        if (string.IsNullOrEmpty(name)) throw new PluginSourceException($"{FileName} has no \"name\".");
        if (project["tree"] is not JObject tree) throw new PluginSourceException($"{FileName} has no \"tree\" object.");

        var ignores = new List<Regex>();
        if (project["globIgnorePaths"] is { } globs)
        {
            if (globs is not JArray array || array.Any(g => g.Type != JTokenType.String))
                throw new PluginSourceException($"{FileName}: \"globIgnorePaths\" must be an array of strings.");
            ignores.AddRange(array.Select(g => GlobToRegex((string)g!)));
        }

        var reader = new Reader(Path.GetDirectoryName(Path.GetFullPath(projectFile))!, ignores);
        return reader.ReadNode(name, tree, name);
    }

    /// <summary>Rojo-style glob: <c>**</c> spans folders, <c>*</c> and <c>?</c> stay within one name.</summary>
    public static Regex GlobToRegex(string glob)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var slashAfter = i + 2 < glob.Length && glob[i + 2] == '/';
                sb.Append(slashAfter ? "(?:.*/)?" : ".*");
                i += slashAfter ? 2 : 1;
            }
            else if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    private sealed class Reader(string projectDir, List<Regex> ignores)
    {
        public PluginInstance ReadNode(string name, JObject node, string where)
        {
            foreach (var key in node.Properties().Select(p => p.Name).Where(k => k.StartsWith('$') && !KnownNodeKeys.Contains(k)))
                throw new PluginSourceException($"{FileName}: \"{key}\" at {where} is not supported by the relay's plugin packager.");

            var className = node["$className"] is JValue { Type: JTokenType.String } c ? (string)c! : null;
            var pathToken = node["$path"];
            if (pathToken is not null && pathToken.Type != JTokenType.String)
                throw new PluginSourceException($"{FileName}: \"$path\" at {where} must be a string.");
            var path = (string?)pathToken;

            PluginInstance instance;
            if (path is not null)
            {
                if (className is not null)
                    throw new PluginSourceException($"{FileName}: {where} has both \"$className\" and \"$path\"; use one.");
                var full = Path.GetFullPath(Path.Combine(projectDir, path));
                var relative = Relative(full);
                if (Directory.Exists(full)) instance = ReadDirectory(name, full, relative);
                else if (File.Exists(full))
                    instance = ReadFile(full, relative, name)
                        ?? throw new PluginSourceException($"{FileName}: \"$path\" at {where} ({path}) is not a .lua or .luau file.");
                else throw new PluginSourceException($"{FileName}: \"$path\" at {where} ({path}) does not exist.");
            }
            else if (className is not null) instance = new PluginInstance(name, className, null, PluginInstance.NoChildren);
            else throw new PluginSourceException($"{FileName}: {where} needs \"$className\" or \"$path\".");

            var children = node.Properties()
                .Where(p => !p.Name.StartsWith('$'))
                .Select(p => p.Value is JObject child
                    ? ReadNode(p.Name, child, where + "/" + p.Name)
                    : throw new PluginSourceException($"{FileName}: {where}/{p.Name} must be an object."))
                .ToList();
            return children.Count == 0 ? instance : instance with { Children = Sorted(instance.Children.Concat(children), where) };
        }

        private PluginInstance ReadDirectory(string name, string dir, string relative)
        {
            PluginInstance? init = null;
            var children = new List<PluginInstance>();
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var entryRelative = relative + "/" + entry.Name;
                if (IsIgnored(entryRelative)) continue;
                if (entry is DirectoryInfo sub)
                {
                    children.Add(ReadDirectory(sub.Name, sub.FullName, entryRelative));
                    continue;
                }
                var file = ReadFile(entry.FullName, entryRelative, nameOverride: null);
                if (file is null) continue;
                if (file.Name == "init")
                {
                    if (init is not null) throw new PluginSourceException($"{relative} has more than one init script.");
                    init = file;
                }
                else children.Add(file);
            }
            var self = init is null
                ? new PluginInstance(name, "Folder", null, PluginInstance.NoChildren)
                : init with { Name = name };
            return self with { Children = Sorted(children, relative) };
        }

        /// <summary>A script for a .lua/.luau file, or null for a file Rojo ignores.</summary>
        private static PluginInstance? ReadFile(string file, string relative, string? nameOverride)
        {
            var fileName = Path.GetFileName(file);
            foreach (var (suffix, className) in ScriptSuffixes)
            {
                if (!fileName.EndsWith(suffix, StringComparison.Ordinal) || fileName.Length == suffix.Length) continue;
                string source;
                try { source = StrictUtf8.GetString(File.ReadAllBytes(file)); }
                catch (DecoderFallbackException) { throw new PluginSourceException($"{relative} is not valid UTF-8."); }
                return new PluginInstance(nameOverride ?? fileName[..^suffix.Length], className, source, PluginInstance.NoChildren);
            }
            if (UnsupportedRojoExtensions.Any(ext => fileName.EndsWith(ext, StringComparison.OrdinalIgnoreCase)))
                throw new PluginSourceException($"{relative}: Rojo would make an instance of this file, but the relay's plugin packager only handles .lua and .luau.");
            return null;
        }

        private bool IsIgnored(string relative) => ignores.Any(r => r.IsMatch(relative));

        private string Relative(string full) => Path.GetRelativePath(projectDir, full).Replace('\\', '/');

        private static List<PluginInstance> Sorted(IEnumerable<PluginInstance> children, string where)
        {
            var list = children.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            for (var i = 1; i < list.Count; i++)
            {
                if (list[i].Name == list[i - 1].Name)
                    throw new PluginSourceException($"{where} has two children named \"{list[i].Name}\".");
            }
            return list;
        }
    }
}
