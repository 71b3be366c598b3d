using Realtime.Pusher.Validation;

namespace Realtime.Pusher.Rest;

/// <summary>Channel attributes that can be asked for with <c>info</c>.</summary>
public static class PusherInfo
{
    /// <summary>Number of connections subscribed to the channel.</summary>
    public const string SubscriptionCount = "subscription_count";
    /// <summary>Number of distinct users on a presence channel (presence channels only).</summary>
    public const string UserCount = "user_count";
}

/// <summary>Optional parts of a trigger.</summary>
public sealed record TriggerOptions
{
    /// <summary>The socket that must not receive the event (usually the one that caused it).</summary>
    public string? SocketId { get; init; }

    /// <summary>Attributes to return per channel, e.g. <see cref="PusherInfo.SubscriptionCount"/>.</summary>
    public IReadOnlyList<string>? Info { get; init; }
}

/// <summary>
/// One event of a batch trigger. <see cref="Data"/> is a string (sent as is) or any other
/// object (serialized to a JSON string, as JSON.stringify would).
/// </summary>
public sealed record BatchEvent
{
    public BatchEvent() { }

    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public BatchEvent(string channel, string name, object data, string? socketId = null, IReadOnlyList<string>? info = null)
    {
        Channel = channel;
        Name = name;
        Data = data;
        SocketId = socketId;
        Info = info;
    }

    public required string Channel { get; init; }
    public required string Name { get; init; }
    public required object Data { get; init; }
    public string? SocketId { get; init; }
    public IReadOnlyList<string>? Info { get; init; }
}

/// <summary>Channel attributes as Pusher returns them; null when not asked for / not applicable.</summary>
public sealed record ChannelAttributes
{
    public int? SubscriptionCount { get; init; }
    public int? UserCount { get; init; }
}

/// <summary>Answer to a trigger: the attributes asked for with <c>info</c>, per channel (empty otherwise).</summary>
public sealed record TriggerResult
{
    public required IReadOnlyDictionary<string, ChannelAttributes> Channels { get; init; }
}

/// <summary>Answer to a batch trigger: attributes per event, in the batch's order (empty when no info was asked for).</summary>
public sealed record BatchTriggerResult
{
    public required IReadOnlyList<ChannelAttributes> Batch { get; init; }
}

/// <summary>Answer to <c>GET /apps/{id}/channels/{name}</c>.</summary>
public sealed record ChannelInfo
{
    public required bool Occupied { get; init; }
    public int? SubscriptionCount { get; init; }
    public int? UserCount { get; init; }
}

/// <summary>A user on a presence channel.</summary>
public sealed record PresenceUser(string Id);

internal static class InfoValidation
{
    public static string? Join(IReadOnlyList<string>? info, string paramName)
    {
        if (info is null || info.Count == 0) return null;
        foreach (var attribute in info)
        {
            if (string.IsNullOrWhiteSpace(attribute) || attribute.Contains(','))
                throw new PusherValidationException("info", $"Each info attribute must be one name such as '{PusherInfo.SubscriptionCount}'; got '{attribute}'", paramName);
        }
        return string.Join(",", info);
    }
}
