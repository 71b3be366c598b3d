using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Realtime.Pusher.Client;

public sealed record PusherPoolOptions
{
    /// <summary>Channels per WebSocket connection; a new connection is opened when all are full.</summary>
    public int ChannelsPerConnection { get; init; } = 100;

    /// <summary>Options for every connection of the pool.</summary>
    public PusherClientOptions Client { get; init; } = new();
}

/// <summary>The pool's state, for <c>/readyz</c> and <c>/metrics</c>.</summary>
public sealed record PusherPoolSnapshot
{
    public required int Connections { get; init; }
    public required int ConnectedConnections { get; init; }
    public required int Channels { get; init; }
    public required int SubscribedChannels { get; init; }
    public required int PendingChannels { get; init; }
    public required int FailedChannels { get; init; }
    /// <summary>Reconnects over the pool's life (closed connections included).</summary>
    public required long Reconnects { get; init; }
    public required long ConnectAttempts { get; init; }
    /// <summary>Events dropped because a consumer fell behind (live subscriptions).</summary>
    public required long DroppedEvents { get; init; }
    /// <summary>A connection was refused for good (4000–4099, e.g. wrong key): the pool will not recover by itself.</summary>
    public required bool Refused { get; init; }
    public PusherError? LastError { get; init; }
    public required IReadOnlyList<PusherConnectionSnapshot> PerConnection { get; init; }

    /// <summary>Every connection is connected (and there is at least one).</summary>
    public bool AllConnected => Connections > 0 && ConnectedConnections == Connections;
}

/// <summary>
/// Spreads many channels over several <see cref="PusherConnection"/>s (<see cref="PusherPoolOptions.ChannelsPerConnection"/>
/// each), opening connections as channels are added and closing ones that become empty (one is always kept once started).
/// Each channel is on exactly one connection; its events come through its <see cref="PusherSubscription.Events"/>.
/// Pool events are raised from the connections' notification tasks (possibly concurrently for different connections).
/// </summary>
public sealed class PusherConnectionPool : IAsyncDisposable
{
    private readonly PusherOptions _options;
    private readonly PusherPoolOptions _poolOptions;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly List<PusherConnection> _connections = new();
    private readonly Dictionary<string, PusherConnection> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<PusherConnection, int> _load = new();
    private long _retiredReconnects;
    private long _retiredAttempts;
    private PusherError? _lastError;
    private bool _disposed;

    public PusherConnectionPool(PusherOptions options, PusherPoolOptions? poolOptions = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _poolOptions = poolOptions ?? new PusherPoolOptions();
        if (_poolOptions.ChannelsPerConnection < 1) throw new ArgumentException("ChannelsPerConnection must be at least 1", nameof(poolOptions));
        _poolOptions.Client.Validate();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>A connection's state changed.</summary>
    public event EventHandler<PusherStateChange>? StateChanged;

    /// <summary>Errors from any connection (see <see cref="PusherConnection.ErrorReported"/>).</summary>
    public event EventHandler<PusherError>? ErrorReported;

    /// <summary>Channels of one connection that were subscribed again after it reconnected (events may be missing).</summary>
    public event EventHandler<IReadOnlyList<string>>? ChannelsResumedAfterGap;

    public int ChannelCount { get { lock (_gate) return _channels.Count; } }

    /// <summary>Opens the first connection and waits until it is connected (throws <see cref="PusherConnectionException"/> if refused).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        PusherConnection first;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            first = _connections.Count > 0 ? _connections[0] : NewConnection();
        }
        await first.ConnectAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds a channel (idempotent: returns the existing subscription). Does not wait for the server.</summary>
    public PusherSubscription Add(string channel, PresenceMember? member = null)
    {
        PusherConnection connection;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_channels.TryGetValue(channel, out var existing))
                return existing.GetSubscription(channel) ?? existing.Subscribe(channel, member);
            connection = Place();
            _channels[channel] = connection;
            _load[connection]++;
        }
        try
        {
            return connection.Subscribe(channel, member);
        }
        catch
        {
            lock (_gate)
            {
                _channels.Remove(channel);
                _load[connection]--;
            }
            throw;
        }
    }

    /// <summary>Adds a channel and waits for the first subscription outcome.</summary>
    public async Task<PusherSubscription> AddAsync(string channel, PresenceMember? member = null, CancellationToken cancellationToken = default)
    {
        var sub = Add(channel, member);
        await sub.WaitUntilSubscribedAsync(cancellationToken).ConfigureAwait(false);
        return sub;
    }

    /// <summary>Unsubscribes a channel; closes its connection if that leaves it empty (and it is not the last one).</summary>
    public async Task RemoveAsync(string channel, CancellationToken cancellationToken = default)
    {
        PusherConnection? connection;
        PusherConnection? retire = null;
        lock (_gate)
        {
            if (!_channels.Remove(channel, out connection)) return;
            if (--_load[connection] == 0 && _connections.Count > 1)
            {
                retire = connection;
                Retire(connection);
            }
        }
        if (retire is not null) await DisposeConnectionAsync(retire).ConfigureAwait(false);
        else await connection.UnsubscribeAsync(channel, cancellationToken).ConfigureAwait(false);
    }

    public PusherSubscription? Get(string channel)
    {
        PusherConnection? connection;
        lock (_gate)
        {
            if (!_channels.TryGetValue(channel, out connection)) return null;
        }
        return connection.GetSubscription(channel);
    }

    public IReadOnlyList<string> Channels { get { lock (_gate) return _channels.Keys.ToList(); } }

    /// <summary>Sends a client event on the channel's connection (paced per connection; see <see cref="PusherConnection.TriggerAsync"/>).</summary>
    public Task TriggerAsync(string channel, string eventName, object data, CancellationToken cancellationToken = default)
    {
        PusherConnection? connection;
        lock (_gate) _channels.TryGetValue(channel, out connection);
        if (connection is null) throw new PusherClientEventException($"Not subscribed to '{channel}': add it to the pool before sending client events");
        return connection.TriggerAsync(channel, eventName, data, cancellationToken);
    }

    public PusherPoolSnapshot GetSnapshot()
    {
        List<PusherConnection> connections;
        long retiredReconnects, retiredAttempts;
        PusherError? poolError;
        lock (_gate)
        {
            connections = _connections.ToList();
            retiredReconnects = _retiredReconnects;
            retiredAttempts = _retiredAttempts;
            poolError = _lastError;
        }
        var per = connections.Select(c => c.GetSnapshot()).ToList();
        var lastError = per.Select(p => p.LastError).Append(poolError).Where(e => e is not null).MaxBy(e => e!.At);
        return new PusherPoolSnapshot
        {
            Connections = per.Count,
            ConnectedConnections = per.Count(p => p.State == PusherConnectionState.Connected),
            Channels = per.Sum(p => p.Channels),
            SubscribedChannels = per.Sum(p => p.SubscribedChannels),
            FailedChannels = per.Sum(p => p.FailedChannels),
            PendingChannels = per.Sum(p => p.Channels - p.SubscribedChannels - p.FailedChannels),
            Reconnects = retiredReconnects + per.Sum(p => p.Reconnects),
            ConnectAttempts = retiredAttempts + per.Sum(p => p.ConnectAttempts),
            DroppedEvents = per.Sum(p => p.DroppedEvents),
            Refused = per.Any(p => p.State == PusherConnectionState.Failed),
            LastError = lastError,
            PerConnection = per,
        };
    }

    public async ValueTask DisposeAsync()
    {
        List<PusherConnection> connections;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            connections = _connections.ToList();
            _connections.Clear();
            _channels.Clear();
            _load.Clear();
        }
        await Task.WhenAll(connections.Select(c => DisposeConnectionAsync(c).AsTask())).ConfigureAwait(false);
    }

    // Under _gate.
    private PusherConnection Place()
    {
        // After a refusal for good (wrong key…), new channels join the refused connection and fail at once,
        // rather than each opening a connection that would be refused again.
        var refused = _connections.FirstOrDefault(c => c.State == PusherConnectionState.Failed);
        if (refused is not null) return refused;
        foreach (var c in _connections)
        {
            if (_load[c] < _poolOptions.ChannelsPerConnection) return c;
        }
        return NewConnection();
    }

    // Under _gate.
    private PusherConnection NewConnection()
    {
        var connection = new PusherConnection(_options, _poolOptions.Client, _logger);
        connection.StateChanged += OnStateChanged;
        connection.ErrorReported += OnError;
        connection.ChannelsResumedAfterGap += OnGap;
        _connections.Add(connection);
        _load[connection] = 0;
        connection.Start();
        _logger.LogDebug("Pusher pool: opened connection {Id} ({Count} in all)", connection.Id, _connections.Count);
        return connection;
    }

    // Under _gate.
    private void Retire(PusherConnection connection)
    {
        _connections.Remove(connection);
        _load.Remove(connection);
        _retiredReconnects += connection.Reconnects;
        _retiredAttempts += connection.ConnectAttempts;
    }

    private async ValueTask DisposeConnectionAsync(PusherConnection connection)
    {
        connection.StateChanged -= OnStateChanged;
        connection.ErrorReported -= OnError;
        connection.ChannelsResumedAfterGap -= OnGap;
        try { await connection.DisposeAsync().ConfigureAwait(false); }
        catch (Exception e) { _logger.LogWarning(e, "Pusher pool: closing connection {Id} failed", connection.Id); }
    }

    private void OnStateChanged(object? sender, PusherStateChange change) => StateChanged?.Invoke(sender, change);

    private void OnError(object? sender, PusherError error)
    {
        lock (_gate) _lastError = error;
        ErrorReported?.Invoke(sender, error);
    }

    private void OnGap(object? sender, IReadOnlyList<string> channels) => ChannelsResumedAfterGap?.Invoke(sender, channels);
}
