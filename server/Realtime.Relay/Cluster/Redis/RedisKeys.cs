namespace Realtime.Relay.Cluster.Redis;

/// <summary>Every Redis key the cluster coordination writes (docs/cluster.md lists them).</summary>
public static class RedisKeys
{
    public const string Nodes = "relay:cluster:nodes";
    public static string Heartbeat(string node) => "relay:cluster:node:" + node;
    public static string ChannelLease(string channel) => "relay:cluster:channel:" + channel;
    public static string ChannelLastOwner(string channel) => "relay:cluster:channel-owner:" + channel;
    public static string ChannelOffer(string channel) => "relay:cluster:channel-offer:" + channel;
    public static string ChannelReady(string channel) => "relay:cluster:channel-ready:" + channel;
    public static string ChannelReadySeen(string channel) => "relay:cluster:channel-ready-seen:" + channel;
    public static string Heard(string channel, string hash) => "relay:cluster:heard:" + channel + ":" + hash;
    public static string OutboxClaim(string senderInboxId) => "relay:cluster:outbox-claim:" + senderInboxId;
    public static string PresenceLease(string reporterKey) => "relay:cluster:presence:" + reporterKey;
    public static string PresenceOffer(string reporterKey) => "relay:cluster:presence-offer:" + reporterKey;
    public const string Rosters = "relay:cluster:rosters";
    public const string Seats = "relay:cluster:seats";
    public const string PresenceNudges = "relay:cluster:presence";
}
