using Realtime.Relay.Clients;
using Realtime.Relay.Identity;
using Realtime.Relay.Inbox;
using Realtime.Relay.Infrastructure;
using Realtime.Relay.Pairing;

namespace Realtime.Relay.Plugins;

/// <summary>One plugin as <c>GET /api/v1/plugins</c> lists it.</summary>
public sealed record PluginView(string PluginId, string Channel, string OwnerId, long? PlaceId, string? GameId,
    long? StudioUserId, string? PluginVersion, DateTime CreatedAt)
{
    public static PluginView From(PluginRecord p) => new(p.PluginId, p.ToClient().OwnChannel, p.OwnerId, p.PlaceId, p.GameId,
        p.StudioUserId, p.PluginVersion, p.CreatedAt);
}

/// <summary>Listing and revoking paired plugins.</summary>
public sealed class PluginService(PluginStore plugins, ClientCredentialStore credentials, IInboxLifecycle inboxes,
    ILogger<PluginService> log)
{
    public IReadOnlyList<PluginView> List(PlatformUser user) =>
        (user.IsAdmin ? plugins.All() : plugins.OwnedBy(user.Id)).Select(PluginView.From).ToList();

    /// <summary>
    /// Revokes a plugin for its owner, an admin, or the plugin's own token: the token stops
    /// working, the plugin is forgotten and its inbox closed with reason <c>revoked</c>.
    /// A token of another client is 403 whether or not the plugin exists.
    /// </summary>
    public async Task<ApiError?> RevokeAsync(PlatformUser? user, RelayClient? caller, string pluginId)
    {
        if (caller is not null && (caller.Kind != ClientKind.Plugin || caller.Id != pluginId))
            return ApiError.Forbidden("This token belongs to another client: a plugin's token may revoke only that plugin.");
        var plugin = RequestRules.IsId(pluginId) ? plugins.Find(pluginId) : null;
        if (plugin is null) return ApiError.NotFound($"No plugin '{pluginId}'.");
        if (user is not null && !user.IsAdmin && plugin.OwnerId != user.Id)
            return ApiError.Forbidden("Only the plugin's owner or an admin may revoke it.");

        var client = plugin.ToClient();
        credentials.Revoke(client);
        plugins.Remove(pluginId);
        // Not the request's token: once the credential is gone the inbox must close even if the caller hangs up.
        await inboxes.CloseAsync(client, "revoked", CancellationToken.None);
        log.LogInformation("Plugin {PluginId} revoked by {By}", pluginId, user is null ? "its own token" : "user " + user.Id);
        return null;
    }
}
