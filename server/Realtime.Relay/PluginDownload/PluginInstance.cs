namespace Realtime.Relay.PluginDownload;

/// <summary>
/// One Roblox instance of the plugin model: its name, class, script source (scripts only)
/// and children in the order they are written.
/// </summary>
public sealed record PluginInstance(string Name, string ClassName, string? Source, IReadOnlyList<PluginInstance> Children)
{
    public static readonly IReadOnlyList<PluginInstance> NoChildren = [];

    public bool IsScript => Source is not null;
}

/// <summary>The plugin sources cannot be turned into a model; the message says why, without server paths.</summary>
public sealed class PluginSourceException(string message) : Exception(message);
