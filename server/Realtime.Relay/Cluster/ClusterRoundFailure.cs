using Realtime.Relay.Storage;
using StackExchange.Redis;

namespace Realtime.Relay.Cluster;

/// <summary>
/// What may fail a cluster round while Redis is away or restarting (docs/cluster.md, "Failure modes"): a Redis
/// error or timeout, or a store call answering <see cref="StorageUnavailableException"/>. The round is tried again;
/// a background loop that let one of these escape would end for good (the host ignores failed background services),
/// and the node would silently stop renewing its leases.
/// </summary>
public static class ClusterRoundFailure
{
    public static bool IsTransient(Exception e) => e is RedisException or TimeoutException || StorageFailures.IsStorageFailure(e);
}
