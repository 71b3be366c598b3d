using Newtonsoft.Json.Linq;
using Realtime.Relay.Presence;

namespace Realtime.Relay.Tests.Presence;

/// <summary>
/// Players' presence connections without soketi, behaving as <see cref="PusherPresenceConnections"/> does:
/// a seat starts joining, becomes a member or is refused (the refusal told off the caller's thread),
/// is left after unsubscribing or closing. The test decides what Pusher answers.
/// </summary>
public sealed class FakePresenceConnections : IPresenceConnectionFactory
{
    private readonly Lock _gate = new();
    private readonly List<FakeSeat> _opened = [];

    /// <summary>Users whose member Pusher would never accept (the factory throws, as for a user_info over the limit).</summary>
    public HashSet<string> Invalid { get; } = new(StringComparer.Ordinal);

    /// <summary>Users Pusher refuses at once, before <see cref="Open"/> has returned (from another thread).</summary>
    public Dictionary<string, string> RefuseAtOnce { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<FakeSeat> Opened { get { lock (_gate) return _opened.ToList(); } }

    /// <summary>Seats not closed yet, i.e. Pusher connections the relay holds.</summary>
    public IReadOnlyList<FakeSeat> StillOpen => Opened.Where(s => !s.IsClosed).ToList();

    public FakeSeat Seat(string pusherUserId) => Opened.Last(s => s.UserId == pusherUserId);

    public IPresenceConnection Open(string channel, string pusherUserId, JObject userInfo, Action<string> refused)
    {
        if (Invalid.Contains(pusherUserId)) throw new ArgumentException($"'{pusherUserId}' is not a valid member");
        var seat = new FakeSeat(channel, pusherUserId, userInfo, refused);
        lock (_gate) _opened.Add(seat);
        if (RefuseAtOnce.TryGetValue(pusherUserId, out var reason)) Task.Run(() => seat.Refuse(reason)).Wait();
        return seat;
    }
}

public sealed class FakeSeat(string channel, string userId, JObject userInfo, Action<string> refused) : IPresenceConnection
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile PresenceSeatState _state = PresenceSeatState.Joining;
    private volatile string? _error;

    public string Channel { get; } = channel;
    public string UserId { get; } = userId;
    public JObject UserInfo { get; } = userInfo;
    public bool Unsubscribed { get; private set; }
    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Completes when the relay closes this connection.</summary>
    public Task Closed => _closed.Task;

    public PresenceSeatState State => _state;
    public string? Error => _error;

    /// <summary>Pusher answers <c>pusher_internal:subscription_succeeded</c>.</summary>
    public void Accept()
    {
        if (_state == PresenceSeatState.Joining) _state = PresenceSeatState.Member;
    }

    /// <summary>Pusher answers <c>pusher:subscription_error</c>; the connection reports it on its own task.</summary>
    public void Refuse(string reason)
    {
        _error = reason;
        _state = PresenceSeatState.Refused;
        refused(reason);
    }

    public Task UnsubscribeAsync(CancellationToken cancellationToken)
    {
        Unsubscribed = true;
        _state = PresenceSeatState.Left;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _state = PresenceSeatState.Left;
        _closed.TrySetResult();
        return ValueTask.CompletedTask;
    }
}
