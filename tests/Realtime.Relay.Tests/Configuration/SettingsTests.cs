using Microsoft.Extensions.DependencyInjection;
using Realtime.Relay.Configuration;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Configuration;

/// <summary>The documented environment names reach the settings, and every bad value is said, each once.</summary>
public sealed class SettingsTests
{
    private static void RelayWide(IServiceCollection s) =>
        s.AddSettings<RelaySettings>(RelaySettings.Section).AddSettings<JwtSettings>(JwtSettings.Section).AddSettings<PusherSettings>(PusherSettings.Section);

    private static readonly (string, string?)[] Good =
    [
        ("PUSHER_APP_ID", "app-id"), ("PUSHER_KEY", "app-key"), ("PUSHER_SECRET", "app-secret"), ("PUSHER_CLUSTER", "us2"),
        ("AUTH_JWT_SECRET", new string('s', 32)),
    ];

    private static (string, string?)[] GoodWith(params (string, string?)[] changes) =>
        Good.Where(g => changes.All(c => c.Item1 != g.Item1)).Concat(changes).ToArray();

    [Fact]
    public void Documented_variable_names_set_their_configuration_keys()
    {
        var pusher = SettingsHarness.Bind<PusherSettings>(PusherSettings.Section,
            ("PUSHER_KEY", " from-variable "), ("PUSHER_HOST", "127.0.0.1"), ("PUSHER_PORT", "6001"), ("PUSHER_SCHEME", "HTTP"));
        Assert.Equal("from-variable", pusher.Options.Key);
        Assert.Equal("127.0.0.1", pusher.Options.Host);
        Assert.Equal(6001, pusher.Options.Port);
        Assert.Equal("http", pusher.Options.Scheme);
        var relay = SettingsHarness.Bind<RelaySettings>(RelaySettings.Section,
            ("RELAY_DB_PATH", "/var/lib/relay/relay.db"), ("RELAY_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16"), ("RELAY_PUBLIC_URL", "https://relay.example.org"));
        Assert.Equal("/var/lib/relay/relay.db", relay.DatabasePath);
        Assert.Equal(2, relay.TrustedProxyNetworks.Count);
        Assert.Equal(new Uri("https://relay.example.org"), relay.PublicUri);
    }

    [Fact]
    public void A_documented_name_wins_over_its_key_and_a_blank_one_counts_as_unset()
    {
        Assert.Equal("variable", SettingsHarness.Bind<JwtSettings>(JwtSettings.Section,
            ("Auth:JwtSecret", "key"), ("AUTH_JWT_SECRET", "variable")).Secret);
        Assert.Equal("key", SettingsHarness.Bind<JwtSettings>(JwtSettings.Section,
            ("Auth:JwtSecret", "key"), ("AUTH_JWT_SECRET", "  ")).Secret);
    }

    [Fact]
    public void Unset_values_take_the_documented_defaults()
    {
        var relay = SettingsHarness.Bind<RelaySettings>(RelaySettings.Section);
        Assert.Equal(Path.Combine("data", "relay.db"), relay.DatabasePath);
        Assert.Null(relay.PublicUri);
        Assert.Empty(relay.TrustedProxyNetworks);
        Assert.Empty(relay.AllowedOrigins);
        Assert.False(relay.LogsAsJson);
        var pusher = SettingsHarness.Bind<PusherSettings>(PusherSettings.Section);
        Assert.True(pusher.IsEnabled);
        Assert.Equal("https", pusher.Options.Scheme);
        Assert.Equal(100, pusher.ChannelsPerConnection);
        var inbox = SettingsHarness.Bind<InboxOptions>(InboxOptions.Section);
        Assert.Equal(TimeSpan.FromHours(24), inbox.Retention);
        Assert.Equal(10_000, inbox.MaxEventsPerClient);
        Assert.Empty(inbox.AllowedChannels);
    }

    [Fact]
    public void Good_settings_pass_the_start_up_check() =>
        Assert.Empty(SettingsHarness.StartupProblems(RelayWide, Good));

    [Fact]
    public void Every_bad_value_is_reported_on_its_own_line_naming_the_variable()
    {
        var problems = SettingsHarness.StartupProblems(RelayWide, GoodWith(
            ("PUSHER_SECRET", null), ("PUSHER_PORT", "seventy"), ("AUTH_JWT_SECRET", "short"),
            ("RELAY_TRUSTED_PROXIES", "10.0.0.0/33, 127.0.0.1, proxy.internal"), ("RELAY_LOG_FORMAT", "xml")));
        Assert.Equal(6, problems.Count);
        Assert.Single(problems, p => p.StartsWith("PUSHER_SECRET is not set"));
        Assert.Single(problems, p => p.StartsWith("PUSHER_PORT must be a port number (1-65535), not 'seventy'"));
        Assert.Single(problems, p => p.StartsWith("AUTH_JWT_SECRET is too short"));
        Assert.Single(problems, p => p.StartsWith("RELAY_TRUSTED_PROXIES: '10.0.0.0/33'"));
        Assert.Single(problems, p => p.StartsWith("RELAY_TRUSTED_PROXIES: 'proxy.internal'"));
        Assert.Single(problems, p => p.StartsWith("RELAY_LOG_FORMAT must be text or json"));
        Assert.All(problems, p => Assert.DoesNotContain('\n', p));
    }

    [Fact]
    public void With_Pusher_off_its_app_is_not_required()
    {
        Assert.Empty(SettingsHarness.StartupProblems(RelayWide, ("PUSHER_ENABLED", "false"), ("AUTH_JWT_SECRET", new string('s', 32))));
        Assert.Equal(["PUSHER_ENABLED must be true or false, not 'maybe'."],
            SettingsHarness.StartupProblems(RelayWide, GoodWith(("PUSHER_ENABLED", "maybe"))));
    }

    [Fact]
    public void Feature_limits_are_checked_at_start_too()
    {
        var problems = SettingsHarness.StartupProblems(s => s.AddSettings<InboxOptions>(InboxOptions.Section),
            ("Inbox:MaxStreamsPerClient", "0"), ("Inbox:RetentionSeconds", "-1"));
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Inbox__MaxStreamsPerClient must be at least 1"));
    }

    [Fact]
    public void A_number_that_is_not_one_is_named_with_its_key()
    {
        var problem = Assert.Single(SettingsHarness.StartupProblems(s => s.AddSettings<InboxOptions>(InboxOptions.Section),
            ("Inbox:MaxStreamsPerClient", "four")));
        Assert.Contains("'four'", problem);
        Assert.Contains("Inbox:MaxStreamsPerClient", problem);
    }
}
