using System.Threading.Channels;
using Newtonsoft.Json.Linq;

namespace Realtime.Pusher.Client;

public enum PusherChannelType { Public, Private, Presence }

public enum SubscriptionState
{
    /// <summary>Waiting for a connection, for authorization, or for the server's answer.</summary>
    Pending,
    Subscribed,
    /// <summary>The last attempt failed (<see cref="PusherSubscription.Error"/>); it is tried again after the next reconnect.</summary>
    Failed,
    /// <summary>Unsubscribed (or the connection was disposed): the event stream has ended.</summary>
    Unsubscribed,
}

/// <summary>
/// One channel on one <see cref="PusherConnection"/>: its state, its presence members, and its
/// events as an async stream (<see cref="Events"/>) that survives reconnects.
/// </summary>
public sealed class PusherSubscription
{
    private readonly object _lock = new();
    private readonly DropOldestEventBuffer _buffer;
    private readonly TaskCompletionSource _firstOutcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<string, JToken?> _members = new(StringComparer.Ordinal);
    private volatile SubscriptionState _state = SubscriptionState.Pending;
    private PusherError? _error;

    internal PusherSubscription(PusherConnection connection, string channel, PresenceMember? member, int bufferCapacity, TimeProvider time)
    {
        Connection = connection;
        Channel = channel;
        Member = member;
        Type = TypeOf(channel);
        _buffer = new DropOldestEventBuffer(channel, bufferCapacity, time);
    }

    public string Channel { get; }
    public PusherChannelType Type { get; }
    public PusherConnection Connection { get; }

    /// <summary>Who this connection is on a presence channel (self-signed authorization), as requested.</summary>
    public PresenceMember? Member { get; }

    public SubscriptionState State => _state;

    /// <summary>The last subscription error, if the last attempt failed.</summary>
    public PusherError? Error { get { lock (_lock) return _error; } }

    /// <summary>
    /// Events, member changes and gap markers in arrival order. Never blocks the socket: when the consumer
    /// falls behind by more than <see cref="PusherClientOptions.SubscriptionBufferCapacity"/>, the oldest are
    /// dropped and a <see cref="GapReason.BufferOverflow"/> marker takes their place. Ends on unsubscribe.
    /// </summary>
    public ChannelReader<PusherEvent> Events => _buffer;

    public long DroppedEvents => _buffer.DroppedTotal;

    /// <summary>Whether this subscription has ever succeeded (so a reconnect means a gap).</summary>
    internal bool EverSubscribed { get; private set; }

    /// <summary>Presence: the members (user id → user info) as of the last update.</summary>
    public IReadOnlyDictionary<string, JToken?> Members { get { lock (_lock) return new Dictionary<string, JToken?>(_members, StringComparer.Ordinal); } }

    /// <summary>
    /// Completes when the channel is subscribed for the first time; throws <see cref="PusherSubscriptionException"/>
    /// if the first attempt fails, <see cref="PusherConnectionException"/> if the connection was refused for good,
    /// <see cref="OperationCanceledException"/> if unsubscribed first.
    /// </summary>
    public Task WaitUntilSubscribedAsync(CancellationToken cancellationToken = default) =>
        _firstOutcome.Task.WaitAsync(cancellationToken);

    /// <summary>Sends a client event on this channel (see <see cref="PusherConnection.TriggerAsync"/>).</summary>
    public Task TriggerAsync(string eventName, object data, CancellationToken cancellationToken = default) =>
        Connection.TriggerAsync(Channel, eventName, data, cancellationToken);

    public Task UnsubscribeAsync(CancellationToken cancellationToken = default) => Connection.UnsubscribeAsync(Channel, cancellationToken);

    public static PusherChannelType TypeOf(string channel) =>
        channel.StartsWith("presence-", StringComparison.Ordinal) ? PusherChannelType.Presence
        : channel.StartsWith("private-", StringComparison.Ordinal) ? PusherChannelType.Private
        : PusherChannelType.Public;

    // ------------------------------------------------------------ driven by the connection (reader loop)

    internal void MarkPending()
    {
        if (_state != SubscriptionState.Unsubscribed) _state = SubscriptionState.Pending;
    }

    internal void OnSucceeded(PusherMessage message)
    {
        lock (_lock)
        {
            if (_state == SubscriptionState.Unsubscribed) return;
            if (Type == PusherChannelType.Presence) _members = ParseMembers(message.Data);
            _error = null;
            _state = SubscriptionState.Subscribed;
            EverSubscribed = true;
        }
        _firstOutcome.TrySetResult();
    }

    internal void OnFailed(PusherError error)
    {
        lock (_lock)
        {
            if (_state == SubscriptionState.Unsubscribed) return;
            _error = error;
            _state = SubscriptionState.Failed;
        }
        _firstOutcome.TrySetException(new PusherSubscriptionException(error));
    }

    /// <summary>The connection is gone for good: fail whoever still waits for the first outcome.</summary>
    internal void OnConnectionRefused(PusherError error)
    {
        lock (_lock)
        {
            if (_state != SubscriptionState.Unsubscribed) { _state = SubscriptionState.Failed; _error = error; }
        }
        _firstOutcome.TrySetException(new PusherConnectionException(error));
    }

    internal void OnMemberAdded(PusherMessage message, DateTimeOffset now)
    {
        var userId = PusherProtocol.ScalarToString((message.Data as JObject)?["user_id"]);
        if (userId is null) return;
        var info = (message.Data as JObject)?["user_info"];
        lock (_lock) _members[userId] = info;
        _buffer.Write(new PusherEvent
        {
            Kind = PusherEventKind.MemberAdded, Channel = Channel, Event = PusherEvent.MemberAddedEventName,
            UserId = userId, Data = info, RawData = message.RawData, ReceivedAt = now,
        });
    }

    internal void OnMemberRemoved(PusherMessage message, DateTimeOffset now)
    {
        var userId = PusherProtocol.ScalarToString((message.Data as JObject)?["user_id"]);
        if (userId is null) return;
        JToken? info;
        lock (_lock)
        {
            _members.Remove(userId, out info);
        }
        _buffer.Write(new PusherEvent
        {
            Kind = PusherEventKind.MemberRemoved, Channel = Channel, Event = PusherEvent.MemberRemovedEventName,
            UserId = userId, Data = info, RawData = message.RawData, ReceivedAt = now,
        });
    }

    internal void OnEvent(PusherMessage message, DateTimeOffset now) =>
        _buffer.Write(new PusherEvent
        {
            Kind = PusherEventKind.Event, Channel = Channel, Event = message.Event,
            DataSource = message.DataSource, RawData = message.RawData, UserId = message.UserId, ReceivedAt = now,
        });

    internal void OnResumedAfterGap(DateTimeOffset now) =>
        _buffer.Write(new PusherEvent
        {
            Kind = PusherEventKind.Gap, Channel = Channel, Event = PusherEvent.GapEventName,
            GapReason = Realtime.Pusher.Client.GapReason.Reconnected, ReceivedAt = now,
        });

    internal void OnUnsubscribed()
    {
        lock (_lock) _state = SubscriptionState.Unsubscribed;
        _buffer.Complete();
        _firstOutcome.TrySetCanceled();
    }

    /// <summary><c>{"presence":{"ids":[…],"hash":{id:info},"count":n}}</c> → id → info.</summary>
    internal static Dictionary<string, JToken?> ParseMembers(JToken? data)
    {
        var result = new Dictionary<string, JToken?>(StringComparer.Ordinal);
        if ((data as JObject)?["presence"] is not JObject presence) return result;
        var hash = presence["hash"] as JObject;
        if (presence["ids"] is JArray ids)
        {
            foreach (var id in ids)
            {
                var key = PusherProtocol.ScalarToString(id);
                if (key is not null) result[key] = hash?[key];
            }
        }
        else if (hash is not null)
        {
            foreach (var p in hash.Properties()) result[p.Name] = p.Value;
        }
        return result;
    }
}
