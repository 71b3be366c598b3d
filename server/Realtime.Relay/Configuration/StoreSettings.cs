using StackExchange.Redis;

namespace Realtime.Relay.Configuration;

/// <summary>
/// Which storage engine holds the relay's state (docs/storage.md): <c>litedb</c>, one file for one
/// process, or <c>redis</c>, shared by any number of relay nodes. Section "Relay"
/// (RELAY_STORE, RELAY_REDIS, RELAY_NODE_ID; see <see cref="EnvironmentNames"/>).
/// </summary>
public sealed class StoreSettings : ICheckedSettings
{
    public const string LiteDb = "litedb";
    public const string RedisEngine = "redis";

    public string? Store { get; set; }

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379,password=…</c>.</summary>
    public string? Redis { get; set; }

    /// <summary>This node's name in logs and <c>/api/v1/info</c>; default host name and process id.</summary>
    public string? NodeId { get; set; }

    public string Engine => string.IsNullOrWhiteSpace(Store) ? LiteDb : Store.Trim().ToLowerInvariant();

    public bool UsesRedis => Engine == RedisEngine;

    public string Node => string.IsNullOrWhiteSpace(NodeId) ? $"{Environment.MachineName}-{Environment.ProcessId}" : NodeId.Trim();

    /// <summary>The parsed <see cref="Redis"/> string (checked at start by <see cref="Problems"/>).</summary>
    public ConfigurationOptions RedisOptions()
    {
        var options = ConfigurationOptions.Parse(Redis!.Trim());
        // A node starts (and reports not ready) while Redis is down, rather than failing to start.
        options.AbortOnConnectFail = false;
        return options;
    }

    public IEnumerable<string> Problems()
    {
        if (Engine is not (LiteDb or RedisEngine))
        {
            yield return $"RELAY_STORE must be litedb or redis, not '{Store}'.";
            yield break;
        }
        if (!UsesRedis) yield break;
        if (string.IsNullOrWhiteSpace(Redis))
        {
            yield return "RELAY_REDIS is empty: with RELAY_STORE=redis, give a StackExchange.Redis configuration string such as 127.0.0.1:6379.";
            yield break;
        }
        string? problem = null;
        try
        {
            // The value is not echoed: it may hold a password.
            if (RedisOptions().EndPoints.Count == 0) problem = "RELAY_REDIS names no server: give host:port first, e.g. 127.0.0.1:6379,password=….";
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            problem = $"RELAY_REDIS is not a StackExchange.Redis configuration string: {e.Message}";
        }
        if (problem is not null) yield return problem;
    }
}
