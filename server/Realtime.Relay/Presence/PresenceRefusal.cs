namespace Realtime.Relay.Presence;

/// <summary>
/// Why Pusher refused the player (told by the connection, maybe before <see cref="IPresenceConnectionFactory.Open"/>
/// returned it); once both the reason and the connection are known, the connection is handed out once, to be closed.
/// </summary>
internal sealed class PresenceRefusal
{
    private readonly Lock _gate = new();
    private string? _reason;
    private IPresenceConnection? _connection;
    private bool _handedOut;

    public string? Reason { get { lock (_gate) return _reason; } }

    public IPresenceConnection? Refuse(string reason)
    {
        lock (_gate)
        {
            _reason = reason;
            return HandOut();
        }
    }

    public IPresenceConnection? Attach(IPresenceConnection connection)
    {
        lock (_gate)
        {
            _connection = connection;
            return HandOut();
        }
    }

    private IPresenceConnection? HandOut()
    {
        if (_reason is null || _connection is null || _handedOut) return null;
        _handedOut = true;
        return _connection;
    }
}
