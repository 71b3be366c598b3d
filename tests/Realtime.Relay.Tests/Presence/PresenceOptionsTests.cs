using Realtime.Relay.Presence;
using Realtime.Relay.Tests.Configuration;

namespace Realtime.Relay.Tests.Presence;

public sealed class PresenceOptionsTests
{
    private static PresenceOptions From(params (string Key, string? Value)[] settings) =>
        SettingsHarness.Bind<PresenceOptions>(PresenceOptions.Section, settings);

    [Fact]
    public void Silent_servers_lose_their_players_after_45_s_swept_every_5_s_by_default()
    {
        var options = From();
        Assert.Equal(TimeSpan.FromSeconds(45), options.Silence);
        Assert.Equal(TimeSpan.FromSeconds(5), options.SweepInterval); // removed within 50 s: the acceptance asks for 60
    }

    [Fact]
    public void A_short_silence_is_swept_often()
    {
        var options = From(("Presence:SilenceSeconds", "3"));
        Assert.Equal(TimeSpan.FromSeconds(3), options.Silence);
        Assert.True(options.SweepInterval <= TimeSpan.FromSeconds(1));
    }
}
