namespace Realtime.Relay.Storage.Redis;

/// <summary>
/// The lease epoch of each Pusher channel (docs/cluster.md, "Fencing"): <c>P fence:CHANNEL</c>, raised by the node
/// that takes a channel's lease, so the inbox append script can refuse an event heard under an older lease. It
/// lives under the stores' prefix (one hash slot with the inboxes) because the append script reads it.
/// </summary>
public sealed class RedisChannelFences(RedisStorage redis)
{
    /// <summary>An epoch key outlives any lease by far; a missing key means no takeover to fence against.</summary>
    private static readonly TimeSpan Keep = TimeSpan.FromDays(1);

    private const string AdvanceScript = """
        local k = KEYS[1] .. 'fence:' .. ARGV[1]
        local epoch = redis.call('INCR', k)
        redis.call('PEXPIRE', k, ARGV[2])
        return epoch
        """;

    /// <summary>A new lease on <paramref name="channel"/>: its epoch goes up, and events heard under older ones are refused.</summary>
    public async Task<long> AdvanceAsync(string channel) =>
        (long)await redis.ScriptAsync(AdvanceScript, channel, (long)Keep.TotalMilliseconds);

    /// <summary>Keeps these channels' epochs another <see cref="Keep"/> (their owner calls it while it holds them).</summary>
    public Task KeepAsync(IReadOnlyList<string> channels) =>
        Task.WhenAll(channels.Select(c => redis.RunAsync(db => db.KeyExpireAsync(redis.Key("fence:" + c), Keep))));

    /// <summary>The current epochs of these channels (0 where none was ever raised, or it expired).</summary>
    public async Task<long[]> CurrentAsync(IReadOnlyList<string> channels)
    {
        if (channels.Count == 0) return [];
        var values = await redis.RunAsync(db => db.StringGetAsync(channels.Select(c => redis.Key("fence:" + c)).ToArray()));
        return values.Select(v => v.IsNull ? 0L : (long)v).ToArray();
    }
}
