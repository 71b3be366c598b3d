using Realtime.Pusher.Validation;
using Realtime.Relay.Clients;

namespace Realtime.Relay.Inbox;

/// <summary>
/// Which channels a Roblox client may hear besides its own (public channels by default;
/// <see cref="InboxOptions.AllowedChannels"/>, exact names or prefixes ending in '*').
/// </summary>
public sealed class SubscriptionPolicy
{
    public static readonly string[] DefaultAllowed =
        ["roblox-sync", "dashboard-updates", "system-status", "public-announcements", "content-generation-*"];

    public const int MaxChannelsPerClient = 50;

    private readonly string[] _allowed;

    public SubscriptionPolicy(InboxOptions options)
    {
        _allowed = options.AllowedChannels is { Length: > 0 } configured ? configured : DefaultAllowed;
    }

    /// <summary>Why <paramref name="channel"/> is refused, or null when it is allowed.</summary>
    public string? Refusal(RelayClient client, string channel)
    {
        if (!PusherLimits.IsValidChannelName(channel)) return $"'{Infrastructure.WireNames.ForLog(channel)}' is not a valid Pusher channel name.";
        if (channel == client.OwnChannel) return null;
        foreach (var rule in _allowed)
        {
            if (rule.EndsWith('*') ? channel.StartsWith(rule[..^1], StringComparison.Ordinal) && channel.Length > rule.Length - 1 : channel == rule)
                return null;
        }
        return $"'{channel}' is not a channel this client may hear.";
    }
}
