namespace Realtime.Relay.Pairing;

/// <summary>Pairing limits; configuration section <c>Relay:Pairing</c> (e.g. <c>Relay__Pairing__StartsPerMinute</c>).</summary>
public sealed class PairingOptions
{
    public const string Section = "Relay:Pairing";

    /// <summary>How long a device code and its user code live (RFC 8628 <c>expires_in</c>).</summary>
    public int CodeLifetimeSeconds { get; set; } = 600;

    /// <summary>The polling interval the plugin is told (<c>interval</c>); each <c>slow_down</c> adds 5 s.</summary>
    public int IntervalSeconds { get; set; } = 5;

    /// <summary>Pairings one client address may start per minute (behind a proxy, see RELAY_TRUSTED_PROXIES).</summary>
    public int StartsPerMinute { get; set; } = 10;

    /// <summary>Pairings waiting for approval at once, from all addresses together (a flood from many addresses stops here).</summary>
    public int MaxPending { get; set; } = 1000;

    /// <summary>Wrong user codes one platform user may enter per <see cref="WrongCodeWindowMinutes"/>.</summary>
    public int WrongCodeAttempts { get; set; } = 5;

    public int WrongCodeWindowMinutes { get; set; } = 10;

    /// <summary>
    /// Where educators approve codes (RFC 8628 <c>verification_uri</c>), normally the dashboard's
    /// page. Unset: the relay's console, <c>/console/pair</c>.
    /// </summary>
    public string? VerificationUri { get; set; }
}
