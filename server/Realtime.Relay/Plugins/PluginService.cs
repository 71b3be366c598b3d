using Realtime.Relay.Clients;
using Realtime.Relay.Identity;
using Realtime.Relay.Inbox;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Pairing;

namespace Realtime.Relay.Plugins;

/// <summary>
/// One plugin as <c>GET /api/v1/plugins</c> lists it. <c>lastSeenAt</c> is its last call to this
/// relay process (null until it calls after a restart); <c>online</c> means it called within
/// <see cref="PluginService.OnlineWindow"/> (a polling plugin calls at least every long-poll);
/// <c>inboxDepth</c> counts events waiting for it.
/// </summary>
public sealed record PluginView(string PluginId, string Channel, string OwnerId, long? PlaceId, string? GameId,
    long? StudioUserId, string? PluginVersion, DateTime CreatedAt, DateTimeOffset? LastSeenAt, bool Online, long InboxDepth);

/// <summary><c>GET /api/v1/plugins</c>.</summary>
public sealed record PluginList(IReadOnlyList<PluginView> Plugins);

/// <summary>Listing and revoking paired plugins.</summary>
public sealed class PluginService(IPluginStore plugins, IInboxLifecycle inboxes,
    ClientActivity activity, IInboxStore inboxStore, TimeProvider time, ILogger<PluginService> log)
{
    /// <summary>Longer than a long-poll's hold (25 s at most) plus a retry: a working plugin is never shown offline.</summary>
    public static readonly TimeSpan OnlineWindow = TimeSpan.FromSeconds(60);

    public async Task<IReadOnlyList<PluginView>> ListAsync(PlatformUser user)
    {
        var views = new List<PluginView>();
        foreach (var p in user.IsAdmin ? await plugins.AllAsync() : await plugins.OwnedByAsync(user.Id)) views.Add(await ViewAsync(p));
        return views;
    }

    private async Task<PluginView> ViewAsync(PluginRecord p)
    {
        var inboxId = p.ToClient().InboxId;
        var seen = activity.LastSeen(inboxId);
        var online = seen is { } at && time.GetUtcNow() - at < OnlineWindow;
        return new PluginView(p.PluginId, p.ToClient().OwnChannel, p.OwnerId, p.PlaceId, p.GameId, p.StudioUserId, p.PluginVersion,
            p.CreatedAt, seen, online, (await inboxStore.StateOfAsync(inboxId))?.Depth() ?? 0);
    }

    /// <summary>
    /// Revokes a plugin for its owner, an admin, or the plugin's own token: the token stops
    /// working, the plugin is forgotten and its inbox closed with reason <c>revoked</c>.
    /// A token of another client is 403 whether or not the plugin exists.
    /// </summary>
    public async Task<ApiError?> RevokeAsync(PlatformUser? user, RelayClient? caller, string pluginId)
    {
        if (caller is not null && (caller.Kind != ClientKind.Plugin || caller.Id != pluginId))
            return ApiError.Forbidden("This token belongs to another client: a plugin's token may revoke only that plugin.");
        var plugin = RequestRules.IsId(pluginId) ? await plugins.FindAsync(pluginId) : null;
        if (plugin is null) return ApiError.NotFound($"No plugin '{pluginId}'.");
        if (user is not null && !user.IsAdmin && plugin.OwnerId != user.Id)
            return ApiError.Forbidden("Only the plugin's owner or an admin may revoke it.");

        // One operation: the token, the plugin and its inbox go together.
        if (!await plugins.RemoveAsync(pluginId)) return ApiError.NotFound($"No plugin '{pluginId}'.");
        await inboxes.ClosedAsync(plugin.ToClient(), "revoked");
        log.LogInformation("Plugin {PluginId} revoked by {By}", pluginId, user is null ? "its own token" : "user " + user.Id);
        return null;
    }
}
