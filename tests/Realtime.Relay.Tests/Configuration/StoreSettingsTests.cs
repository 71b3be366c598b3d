using Microsoft.Extensions.DependencyInjection;
using Realtime.Relay.Configuration;

namespace Realtime.Relay.Tests.Configuration;

/// <summary>RELAY_STORE, RELAY_REDIS and RELAY_NODE_ID: bound from their documented names and checked at start.</summary>
public sealed class StoreSettingsTests
{
    private static void Store(IServiceCollection s) => s.AddSettings<StoreSettings>(RelaySettings.Section);

    [Fact]
    public void Unset_the_engine_is_litedb_and_the_node_is_named_by_host_and_process()
    {
        var settings = SettingsHarness.Bind<StoreSettings>(RelaySettings.Section);
        Assert.Equal("litedb", settings.Engine);
        Assert.False(settings.UsesRedis);
        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", settings.Node);
        Assert.Empty(SettingsHarness.StartupProblems(Store));
    }

    [Fact]
    public void Redis_is_chosen_by_name_with_its_configuration_string_and_node_id()
    {
        var settings = SettingsHarness.Bind<StoreSettings>(RelaySettings.Section,
            ("RELAY_STORE", " Redis "), ("RELAY_REDIS", "10.0.0.7:6380,password=secret,ssl=true"), ("RELAY_NODE_ID", "node-a"));
        Assert.True(settings.UsesRedis);
        Assert.Equal("node-a", settings.Node);
        var options = settings.RedisOptions();
        Assert.Equal("10.0.0.7:6380", Assert.Single(options.EndPoints).ToString());
        Assert.True(options.Ssl);
        Assert.False(options.AbortOnConnectFail); // a node whose Redis is down starts and says not ready
        Assert.Empty(SettingsHarness.StartupProblems(Store, ("RELAY_STORE", "redis"), ("RELAY_REDIS", "127.0.0.1:6379")));
    }

    [Fact]
    public void An_unknown_engine_is_refused_naming_the_variable()
    {
        Assert.Equal(["RELAY_STORE must be litedb or redis, not 'postgres'."], SettingsHarness.StartupProblems(Store, ("RELAY_STORE", "postgres")));
    }

    [Fact]
    public void With_redis_a_missing_or_unparsable_configuration_string_is_one_line_each()
    {
        var missing = Assert.Single(SettingsHarness.StartupProblems(Store, ("RELAY_STORE", "redis")));
        Assert.StartsWith("RELAY_REDIS is empty", missing);
        var bad = Assert.Single(SettingsHarness.StartupProblems(Store, ("RELAY_STORE", "redis"), ("RELAY_REDIS", "127.0.0.1:6379,connectTimeout=soon")));
        Assert.StartsWith("RELAY_REDIS is not a StackExchange.Redis configuration string", bad);
        Assert.DoesNotContain('\n', bad);
        var noServer = Assert.Single(SettingsHarness.StartupProblems(Store, ("RELAY_STORE", "redis"), ("RELAY_REDIS", "password=hunter2")));
        Assert.StartsWith("RELAY_REDIS names no server", noServer);
        Assert.DoesNotContain("hunter2", noServer); // a password never reaches the start-up output
    }

    [Fact]
    public void With_litedb_the_redis_string_is_not_required()
    {
        Assert.Empty(SettingsHarness.StartupProblems(Store, ("RELAY_STORE", "litedb")));
    }
}
