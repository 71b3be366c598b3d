using Realtime.Relay.Identity;

namespace Realtime.Relay.PusherAuth;

/// <summary>
/// Which private and presence channels a platform user may subscribe to (docs/api.md,
/// "Pusher-facing endpoints"). Anything not named here is refused.
/// </summary>
public sealed class ChannelPolicy(IPluginOwnership plugins)
{
    public const string PluginPrefix = "private-plugin-";
    public const string GamePresencePrefix = "presence-game-";
    public const string UserPrefix = "private-user-";
    public const string ClassPrefix = "private-class-";
    public const string ClassroomPresencePrefix = "presence-classroom-";

    public async Task<PolicyDecision> DecideAsync(PlatformUser user, string channel, CancellationToken ct)
    {
        if (TryId(channel, PluginPrefix, out var pluginId))
        {
            if (user.IsAdmin) return PolicyDecision.Allow;
            var owner = await plugins.OwnerOfAsync(pluginId, ct);
            return owner == user.Id ? PolicyDecision.Allow : PolicyDecision.Deny("Only the plugin's owner or an admin may listen to its channel.");
        }
        if (TryId(channel, GamePresencePrefix, out _)) return PolicyDecision.Allow;
        // Admins watch any channel in the console's Inspector (encrypted channels need a key the relay does not hand out).
        if (user.IsAdmin && !channel.StartsWith("private-encrypted-", StringComparison.Ordinal) &&
            (channel.StartsWith("private-", StringComparison.Ordinal) || channel.StartsWith("presence-", StringComparison.Ordinal)))
            return PolicyDecision.Allow;
        if (TryId(channel, UserPrefix, out var userId))
            return userId == user.Id ? PolicyDecision.Allow : PolicyDecision.Deny("A user channel is only for that user.");
        if (TryId(channel, ClassPrefix, out var classId) || TryId(channel, ClassroomPresencePrefix, out classId))
            return user.Classes.Contains(classId) ? PolicyDecision.Allow : PolicyDecision.Deny($"Your token's classes claim does not include class '{classId}'.");
        if (!channel.StartsWith("private-", StringComparison.Ordinal) && !channel.StartsWith("presence-", StringComparison.Ordinal))
            return PolicyDecision.Deny("Public channels need no authorization.");
        return PolicyDecision.Deny($"No policy allows '{channel}'.");
    }

    private static bool TryId(string channel, string prefix, out string id)
    {
        id = channel.StartsWith(prefix, StringComparison.Ordinal) ? channel[prefix.Length..] : "";
        return id.Length > 0;
    }
}

public sealed record PolicyDecision(bool Allowed, string? Reason)
{
    public static readonly PolicyDecision Allow = new(true, null);
    public static PolicyDecision Deny(string reason) => new(false, reason);
}
