using System.Collections.Concurrent;
using Newtonsoft.Json.Linq;
using Prometheus;
using Realtime.Pusher.Validation;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Inbox;

/// <summary>The relay's Pusher subscriptions as the router uses them (one subscription per channel).</summary>
public interface IPusherFeed
{
    void Subscribe(string channel);
    void Unsubscribe(string channel);
}

/// <summary>
/// Which inboxes hear which channel. The relay subscribes a channel once however many
/// clients hear it, fans each event out to those inboxes, and unsubscribes when none is left.
/// Restored from the inboxes' stored state at start-up.
/// </summary>
public sealed class ChannelRouter
{
    public const string GapEvent = "relay:gap";

    private static readonly Counter DroppedFromPusher = Metrics.CreateCounter("relay_pusher_events_dropped_total",
        "Events heard on Pusher and dropped for a name no client may receive (reason: invalid_name, reserved_name).", "reason");

    private readonly object _gate = new();
    private readonly Dictionary<string, HashSet<string>> _inboxesByChannel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _channelsByInbox = new(StringComparer.Ordinal);
    private readonly InboxStore _inboxes;
    private readonly IPusherFeed _feed;
    private readonly ILogger<ChannelRouter> _log;

    public ChannelRouter(InboxStore inboxes, IPusherFeed feed, ILogger<ChannelRouter> log)
    {
        _inboxes = inboxes;
        _feed = feed;
        _log = log;
        foreach (var state in inboxes.AllStates) Update(state);
    }

    /// <summary>Every channel an inbox hears: its own first, then its subscriptions.</summary>
    public static IReadOnlyList<string> ChannelsOf(InboxState state) =>
        new[] { state.ToClient().OwnChannel }.Concat(state.Subscriptions).Distinct(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Channels
    {
        get { lock (_gate) return _inboxesByChannel.Keys.ToList(); }
    }

    /// <summary>Makes the routes match the inbox's current channels.</summary>
    public void Update(InboxState state) => Set(state.InboxId, ChannelsOf(state));

    public void Remove(string inboxId) => Set(inboxId, []);

    private void Set(string inboxId, IReadOnlyList<string> channels)
    {
        var subscribe = new List<string>();
        var unsubscribe = new List<string>();
        lock (_gate)
        {
            var before = _channelsByInbox.GetValueOrDefault(inboxId) ?? [];
            foreach (var channel in before.Except(channels))
            {
                if (_inboxesByChannel.TryGetValue(channel, out var set) && set.Remove(inboxId) && set.Count == 0)
                {
                    _inboxesByChannel.Remove(channel);
                    unsubscribe.Add(channel);
                }
            }
            foreach (var channel in channels.Except(before))
            {
                if (!_inboxesByChannel.TryGetValue(channel, out var set))
                {
                    _inboxesByChannel[channel] = set = new HashSet<string>(StringComparer.Ordinal);
                    subscribe.Add(channel);
                }
                set.Add(inboxId);
            }
            if (channels.Count == 0) _channelsByInbox.Remove(inboxId);
            else _channelsByInbox[inboxId] = channels;
        }
        foreach (var channel in unsubscribe) _feed.Unsubscribe(channel);
        foreach (var channel in subscribe) _feed.Subscribe(channel);
    }

    /// <summary>The inboxes that hear <paramref name="channel"/>, leaving out <paramref name="exceptInboxId"/> (a publisher).</summary>
    public IReadOnlyList<string> InboxesFor(string channel, string? exceptInboxId = null)
    {
        lock (_gate)
        {
            if (!_inboxesByChannel.TryGetValue(channel, out var set)) return [];
            return set.Where(i => i != exceptInboxId).ToList();
        }
    }

    /// <summary>
    /// An event heard on Pusher: stored in every inbox on that channel. Names are checked here,
    /// where they enter from Pusher: one carrying control characters or line breaks, or posing
    /// as the relay's own (<c>relay:</c> in any case or padding), is dropped, logged and counted
    /// (<c>relay_pusher_events_dropped_total</c>); the channel's other events flow on.
    /// </summary>
    public Task DeliverAsync(IncomingEvent e)
    {
        if (RefusalOfHeard(e) is { } reason)
        {
            DroppedFromPusher.WithLabels(reason).Inc();
            _log.LogWarning("Dropped an event heard on Pusher ({Reason}): channel '{Channel}', event '{Event}'",
                reason, WireNames.ForLog(e.Channel), WireNames.ForLog(e.Event));
            return Task.CompletedTask;
        }
        var inboxes = InboxesFor(e.Channel);
        return inboxes.Count == 0 ? Task.CompletedTask : _inboxes.AppendAsync(inboxes, e);
    }

    private static string? RefusalOfHeard(IncomingEvent e)
    {
        if (!PusherLimits.IsValidChannelName(e.Channel) || e.Event.Length == 0 || WireNames.HasUnsafeCharacters(e.Event)) return "invalid_name";
        if (e.Event.Trim().StartsWith("relay:", StringComparison.OrdinalIgnoreCase)) return "reserved_name";
        return null;
    }

    /// <summary>
    /// A Pusher connection dropped and came back: events on these channels may have been missed.
    /// Each affected inbox gets one <c>relay:gap</c> naming its channels, so clients resync.
    /// </summary>
    public async Task ReportGapAsync(IReadOnlyCollection<string> channels)
    {
        var affected = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var channel in channels)
            {
                if (!_inboxesByChannel.TryGetValue(channel, out var set)) continue;
                foreach (var inbox in set)
                {
                    if (!affected.TryGetValue(inbox, out var list)) affected[inbox] = list = [];
                    list.Add(channel);
                }
            }
        }
        _log.LogWarning("Pusher connection resumed: {Channels} channels may have missed events; telling {Inboxes} inboxes", channels.Count, affected.Count);
        // Queued together, the writer commits them in a few groups rather than one commit per inbox.
        await Task.WhenAll(affected.Select(pair =>
        {
            var (inbox, list) = pair;
            var data = new JObject { ["channels"] = new JArray(list), ["reason"] = "pusher_reconnected" }.ToString(Newtonsoft.Json.Formatting.None);
            var ownChannel = _inboxes.StateOf(inbox)?.ToClient().OwnChannel ?? list[0];
            return _inboxes.AppendAsync([inbox], new IncomingEvent(ownChannel, GapEvent, data));
        }));
    }
}
