using Microsoft.Extensions.Primitives;

namespace Realtime.Relay.Configuration;

/// <summary>
/// The documented environment variable names (README "Configuration", docs/operations.md) and the
/// configuration keys they set — the only place either name is spelled out. A documented name
/// wins over its key (<c>PUSHER_KEY</c> over <c>Pusher__Key</c>); a blank value counts as unset.
/// </summary>
public static class EnvironmentNames
{
    public static readonly IReadOnlyList<(string Variable, string Key)> Map =
    [
        ("PUSHER_ENABLED", "Pusher:Enabled"),
        ("PUSHER_APP_ID", "Pusher:AppId"),
        ("PUSHER_KEY", "Pusher:Key"),
        ("PUSHER_SECRET", "Pusher:Secret"),
        ("PUSHER_CLUSTER", "Pusher:Cluster"),
        ("PUSHER_HOST", "Pusher:Host"),
        ("PUSHER_PORT", "Pusher:Port"),
        ("PUSHER_SCHEME", "Pusher:Scheme"),
        ("AUTH_JWT_SECRET", "Auth:JwtSecret"),
        ("AUTH_JWT_ISSUER", "Auth:JwtIssuer"),
        ("AUTH_JWT_AUDIENCE", "Auth:JwtAudience"),
        ("RELAY_DB_PATH", "Relay:DbPath"),
        ("RELAY_PUBLIC_URL", "Relay:PublicUrl"),
        ("RELAY_TRUSTED_PROXIES", "Relay:TrustedProxies"),
        ("RELAY_CORS_ORIGINS", "Relay:CorsOrigins"),
        ("RELAY_LOG_FORMAT", "Relay:LogFormat"),
        ("RELAY_PLUGIN_SOURCE_ROOT", "Relay:PluginSourceRoot"),
        ("RELAY_STORE", "Relay:Store"),
        ("RELAY_REDIS", "Relay:Redis"),
        ("RELAY_NODE_ID", "Relay:NodeId"),
    ];

    /// <summary>Adds the mapping as the configuration's last (winning) source.</summary>
    public static IConfigurationManager AddDocumentedEnvironmentNames(this IConfigurationManager configuration)
    {
        configuration.Sources.Add(new Source(configuration));
        return configuration;
    }

    /// <summary>For a configuration built without a manager (tests): <paramref name="values"/> read through the mapping.</summary>
    public static IConfigurationRoot Apply(IConfiguration values) =>
        new ConfigurationBuilder().AddConfiguration(values).Add(new Source(values)).Build();

    private sealed class Source(IConfiguration values) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(values);
    }

    /// <summary>
    /// Reads the variables live from the rest of the configuration, so settings added by any later
    /// source (a test host's) are seen too. Only keys are served, never variable names, so a
    /// lookup through the whole configuration cannot come back here.
    /// </summary>
    private sealed class Provider(IConfiguration values) : IConfigurationProvider
    {
        public bool TryGet(string key, out string? value)
        {
            value = null;
            foreach (var (variable, mappedKey) in Map)
            {
                if (!string.Equals(mappedKey, key, StringComparison.OrdinalIgnoreCase)) continue;
                var raw = values[variable];
                if (string.IsNullOrWhiteSpace(raw)) return false;
                value = raw.Trim();
                return true;
            }
            return false;
        }

        public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
        {
            var prefix = parentPath is null ? "" : parentPath + ConfigurationPath.KeyDelimiter;
            var keys = earlierKeys.ToList();
            foreach (var (variable, key) in Map)
            {
                if (!key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(values[variable])) continue;
                keys.Add(key[prefix.Length..].Split(ConfigurationPath.KeyDelimiter)[0]);
            }
            keys.Sort(ConfigurationKeyComparer.Instance);
            return keys;
        }

        public void Set(string key, string? value) { }
        public IChangeToken GetReloadToken() => new CancellationChangeToken(CancellationToken.None);
        public void Load() { }
    }
}
