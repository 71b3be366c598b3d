namespace Realtime.Pusher.Client;

/// <summary>
/// What a <see cref="PusherConnection"/> has been through: connect attempts, reconnects, since when it is connected,
/// and whether the current outage was already reported (an outage is reported once, however many retries it takes).
/// Locks the connection's gate (re-entrant).
/// </summary>
internal sealed class ConnectionHistory(object gate)
{
    private long _attempts;
    private long _reconnects;
    private bool _everConnected;
    private bool _outageReported;
    private DateTimeOffset? _connectedSince;

    public long Attempts => Interlocked.Read(ref _attempts);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    public DateTimeOffset? ConnectedSince { get { lock (gate) return _connectedSince; } }

    public void CountAttempt() => Interlocked.Increment(ref _attempts);

    /// <summary>A session was established at <paramref name="now"/>; true if it is a reconnect.</summary>
    public bool Connected(DateTimeOffset now)
    {
        bool reconnect;
        lock (gate)
        {
            reconnect = _everConnected;
            _everConnected = true;
            _outageReported = false;
            _connectedSince = now;
        }
        if (reconnect) Interlocked.Increment(ref _reconnects);
        return reconnect;
    }

    /// <summary>True for the first failure of an outage (report it); false for the retries that follow.</summary>
    public bool FirstFailureOfOutage()
    {
        lock (gate)
        {
            var first = !_outageReported;
            _outageReported = true;
            return first;
        }
    }
}
