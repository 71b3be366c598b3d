using System.Text;
using System.Text.RegularExpressions;

namespace Realtime.Relay.PluginDownload;

/// <summary>
/// The Studio plugin built once from its sources (<c>rojo.project.json</c> and the files it names),
/// ready to be written as <c>RealtimeBridge.rbxmx</c> with the relay's URL pre-set; or, when the
/// sources are missing or unusable, the reason why.
/// The URL goes into the one source line marked <c>-- relay:public-url</c>
/// (<c>baseUrl = "…", -- relay:public-url</c> in Shared/Config.luau); exactly one such line must exist.
/// </summary>
public sealed partial class PluginPackage
{
    public const string FileName = "RealtimeBridge.rbxmx";

    /// <summary>The game-server module alone, for games that do not use the plugin.</summary>
    public const string ServerModuleFileName = "RealtimeBridgeServer.rbxmx";

    /// <summary>The name the module has in ServerScriptService (README: <c>require(game.ServerScriptService.RealtimeBridge)</c>).</summary>
    public const string ServerModuleName = "RealtimeBridge";
    public const string UrlMarker = "-- relay:public-url";

    [GeneratedRegex("""^(?<before>[ \t]*baseUrl[ \t]*=[ \t]*)"(?<url>[^"\\\r\n]*)"(?<after>[ \t]*,[ \t]*--[ \t]*relay:public-url[ \t]*\r?)$""", RegexOptions.Multiline)]
    private static partial Regex MarkedUrlLine();

    private readonly PluginInstance? _root;
    private readonly PluginInstance? _urlScript;

    private PluginPackage(string sourceRoot, PluginInstance? root, PluginInstance? urlScript, string? unavailableReason)
    {
        SourceRoot = sourceRoot;
        _root = root;
        _urlScript = urlScript;
        UnavailableReason = unavailableReason;
    }

    /// <summary>The folder holding <c>rojo.project.json</c>.</summary>
    public string SourceRoot { get; }

    /// <summary>Why the plugin cannot be served, or null when it can.</summary>
    public string? UnavailableReason { get; }

    public bool IsAvailable => UnavailableReason is null;

    /// <summary>Script instances in the model (for the start-up log).</summary>
    public int ScriptCount => _root is null ? 0 : Flatten(_root).Count(i => i.IsScript);

    /// <summary>Reads the sources under <paramref name="sourceRoot"/>; never throws for a source problem.</summary>
    public static PluginPackage Load(string sourceRoot)
    {
        try
        {
            if (!Directory.Exists(sourceRoot))
                return Unavailable(sourceRoot, "the plugin source folder does not exist (set Relay:PluginSourceRoot, or rebuild the relay so its sources are copied next to it).");
            var root = RojoProject.Load(Path.Combine(sourceRoot, RojoProject.FileName));

            var marked = Flatten(root).Where(i => i.IsScript && i.Source!.Contains(UrlMarker, StringComparison.Ordinal)).ToList();
            if (marked.Count != 1)
                return Unavailable(sourceRoot, $"exactly one plugin script must hold the line marked \"{UrlMarker}\", found {marked.Count}.");
            var matches = MarkedUrlLine().Matches(marked[0].Source!);
            var markerLines = Regex.Matches(marked[0].Source!, Regex.Escape(UrlMarker)).Count;
            if (matches.Count != 1 || markerLines != 1)
                return Unavailable(sourceRoot, $"script \"{marked[0].Name}\" must have one line of the form baseUrl = \"…\", {UrlMarker}.");

            var package = new PluginPackage(sourceRoot, root, marked[0], null);
            package.Render("http://localhost"); // surfaces anything XML cannot carry now, not per request
            return package;
        }
        catch (PluginSourceException e) { return Unavailable(sourceRoot, e.Message); }
        // Unreadable files, or characters XML cannot carry (System.Xml throws ArgumentException for those).
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Xml.XmlException)
        {
            return Unavailable(sourceRoot, $"the plugin sources could not be read ({e.GetType().Name}: {e.Message}).");
        }
    }

    /// <summary>The model as <c>.rbxmx</c> bytes with <paramref name="baseUrl"/> in the marked line.</summary>
    public byte[] Render(string baseUrl)
    {
        if (_root is null || _urlScript is null) throw new InvalidOperationException("The plugin is not available: " + UnavailableReason);
        return RbxmxWriter.Write(WithUrl(baseUrl));
    }

    /// <summary>
    /// The game-server module as its own model: <c>GameServer/Bridge</c> named
    /// <see cref="ServerModuleName"/> with the <c>Shared</c> folder inside it (where the module
    /// looks first, as the plugin's insert button places it), <paramref name="baseUrl"/> in the
    /// marked line. Null when the sources have no such module.
    /// </summary>
    public byte[]? RenderServerModule(string baseUrl)
    {
        if (_root is null || _urlScript is null) throw new InvalidOperationException("The plugin is not available: " + UnavailableReason);
        var root = WithUrl(baseUrl);
        var bridge = root.Children.FirstOrDefault(c => c.Name == "GameServer")?.Children.FirstOrDefault(c => c is { Name: "Bridge", ClassName: "ModuleScript" });
        var shared = root.Children.FirstOrDefault(c => c is { Name: "Shared", ClassName: "Folder" });
        if (bridge is null || shared is null) return null;
        return RbxmxWriter.Write(bridge with { Name = ServerModuleName, Children = [.. bridge.Children, shared] });
    }

    private PluginInstance WithUrl(string baseUrl)
    {
        var literal = LuaString(baseUrl);
        var source = MarkedUrlLine().Replace(_urlScript!.Source!, m => m.Groups["before"].Value + literal + m.Groups["after"].Value);
        return Replace(_root!, _urlScript, _urlScript with { Source = source });
    }

    private static PluginPackage Unavailable(string sourceRoot, string reason) => new(sourceRoot, null, null, reason);

    private static PluginInstance Replace(PluginInstance node, PluginInstance target, PluginInstance replacement) =>
        ReferenceEquals(node, target) ? replacement
        : node.Children.Count == 0 ? node
        : node with { Children = node.Children.Select(c => Replace(c, target, replacement)).ToList() };

    private static IEnumerable<PluginInstance> Flatten(PluginInstance node) =>
        node.Children.SelectMany(Flatten).Prepend(node);

    /// <summary>A double-quoted Luau string literal (decimal escapes only, valid in every Lua).</summary>
    private static string LuaString(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\') sb.Append('\\').Append(c);
            else if (c < ' ' || c == '\x7f') sb.Append('\\').Append(((int)c).ToString("D3"));
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
