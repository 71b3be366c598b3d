using StackExchange.Redis;

namespace Realtime.Relay.Cluster.Redis;

/// <summary>
/// Presence messages between nodes on the pub/sub channel <c>relay:cluster:presence</c> (docs/cluster.md, "Presence"):
/// "a report was kept for its holder" (so the holder applies it at once rather than at its next round) and "a stopping
/// node hands these reporters to you". Pub/sub is not durable: the presence round stays the fallback for both.
/// </summary>
public sealed class RedisPresenceNudges(IConnectionMultiplexer redis, INodeMembership membership)
{
    private static readonly RedisChannel Channel = RedisChannel.Literal(RedisKeys.PresenceNudges);
    private const string Report = "report", HandOff = "handoff";

    /// <summary>A report for <paramref name="reporterKey"/> was kept in Redis by a node that does not hold it.</summary>
    public Task ReportKeptAsync(string reporterKey) => PublishAsync(Report, reporterKey);

    /// <summary>This node is stopping and offers <paramref name="reporterKeys"/> to <paramref name="taker"/>.</summary>
    public Task HandOffAsync(string taker, IReadOnlyList<string> reporterKeys) => PublishAsync(HandOff, [taker, .. reporterKeys]);

    private Task PublishAsync(string kind, params string[] parts) =>
        redis.GetSubscriber().PublishAsync(Channel, string.Join('\n', [kind, membership.NodeId, .. parts]));

    /// <summary>
    /// Hears the other nodes: <paramref name="onReport"/> with a reporter key, <paramref name="onHandOff"/> with the
    /// stopping node and the reporters it hands to this node. Handlers run off the pub/sub thread.
    /// </summary>
    public async Task ListenAsync(Func<string, Task> onReport, Func<string, IReadOnlyList<string>, Task> onHandOff)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(Channel);
        queue.OnMessage(message =>
        {
            var parts = ((string?)message.Message ?? "").Split('\n');
            if (parts.Length < 3 || parts[1] == membership.NodeId) return;
            if (parts[0] == Report) _ = Task.Run(() => onReport(parts[2]));
            else if (parts[0] == HandOff && parts[2] == membership.NodeId) _ = Task.Run(() => onHandOff(parts[1], parts[3..]));
        });
    }
}
