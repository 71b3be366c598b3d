using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Auth;
using Realtime.Pusher.Json;
using Realtime.Pusher.Validation;

namespace Realtime.Pusher.Client;

/// <summary>
/// One Pusher Channels WebSocket connection (protocol 7) and the channels subscribed on it.
/// <list type="bullet">
/// <item>Connects to <c>{ws|wss}://host:port/app/{key}?protocol=7&amp;client=…&amp;version=…&amp;flash=false</c>
/// and keeps connecting until disposed, except after close codes 4000–4099 (<see cref="PusherConnectionState.Failed"/>, reported once).</item>
/// <item>Heartbeat: after min(server's <c>activity_timeout</c>, <see cref="PusherClientOptions.ActivityTimeout"/>) without
/// hearing from the server it sends <c>pusher:ping</c>; nothing within <see cref="PusherClientOptions.PongTimeout"/> → the
/// connection is dropped and re-opened. Server pings are answered with <c>pusher:pong</c>.</item>
/// <item>After every reconnect every channel is subscribed again; channels that had been subscribed get a
/// <see cref="GapReason.Reconnected"/> marker in their event stream and are reported together through
/// <see cref="ChannelsResumedAfterGap"/>.</item>
/// <item>Events go to each <see cref="PusherSubscription.Events"/> stream (bounded, drop-oldest with a gap marker):
/// the socket reader never waits for a consumer. The C# events of this class run on a separate task, in order.</item>
/// </list>
/// Thread-safe. Dispose to close.
/// <para>
/// This type is the public face; the work is split along its seams: <see cref="PusherSessionLoop"/> (connect,
/// reconnect, close-code actions), <see cref="PusherSession"/> (one socket: send, read), <see cref="PusherHeartbeat"/>
/// (pings), <see cref="PusherFrameDispatcher"/> (what each server frame does) and <see cref="SubscriptionTable"/>
/// (channels and gap tracking). See the library's README.
/// </para>
/// </summary>
public sealed class PusherConnection : IAsyncDisposable
{
    private static int s_nextId;

    private readonly PusherOptions _options;
    private readonly PusherClientOptions _client;
    private readonly ILogger _logger;
    private readonly PusherAuthorizer? _selfSigner;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly SubscriptionTable _subs;
    private readonly ConnectionHistory _history;
    private readonly PusherFrameDispatcher _dispatcher;
    private readonly PusherSessionLoop _sessionLoop;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ClientEventPacer _pacer;
    private readonly Notifier _notifier;
    private readonly TaskCompletionSource _firstConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private PusherSession? _session;
    private volatile PusherConnectionState _state = PusherConnectionState.Initialized;
    private PusherError? _lastError;
    private int _disposed;

    public PusherConnection(PusherOptions options, PusherClientOptions? clientOptions = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Key)) throw new ArgumentException("PusherOptions.Key must be set", nameof(options));
        _options = options;
        _client = clientOptions ?? new PusherClientOptions();
        _client.Validate();
        _logger = logger ?? NullLogger.Instance;
        _time = _client.TimeProvider;
        if (!string.IsNullOrEmpty(options.Secret)) _selfSigner = new PusherAuthorizer(options.Key, options.Secret);
        _pacer = new ClientEventPacer(_client.ClientEventsPerSecond, _time);
        _notifier = new Notifier(_logger);
        _subs = new SubscriptionTable(_gate);
        _history = new ConnectionHistory(_gate);
        _dispatcher = new PusherFrameDispatcher(this);
        _sessionLoop = new PusherSessionLoop(this, _dispatcher);
        Id = Interlocked.Increment(ref s_nextId);
        Uri = PusherProtocol.ConnectionUri(options, _client);
    }

    /// <summary>A process-unique number, for logs and snapshots.</summary>
    public int Id { get; }

    public Uri Uri { get; }

    public PusherConnectionState State => _state;

    /// <summary>The socket id of the current connection; null while not connected.</summary>
    public string? SocketId => _session is { Established: true } s ? s.SocketId : null;

    public PusherError? LastError { get { lock (_gate) return _lastError; } }

    /// <summary>The server confirmed <c>pusher:signin</c> on the current connection (<see cref="PusherClientOptions.SignInAs"/>).</summary>
    public bool IsSignedIn => _session is { Established: true, SignedIn: true };

    public long ConnectAttempts => _history.Attempts;

    public long Reconnects => _history.Reconnects;

    public int ChannelCount => _subs.Count;

    /// <summary>State changes (connecting, connected, unavailable, failed). Runs off the socket reader.</summary>
    public event EventHandler<PusherStateChange>? StateChanged;

    /// <summary>Errors: <c>pusher:error</c>, refused or lost connections (once per outage), failed subscriptions.</summary>
    public event EventHandler<PusherError>? ErrorReported;

    /// <summary>
    /// After a reconnect, once every previously subscribed channel has been subscribed again: the channels that
    /// may have missed events while the connection was down (the relay turns this into <c>relay:gap</c>).
    /// </summary>
    public event EventHandler<IReadOnlyList<string>>? ChannelsResumedAfterGap;

    public IReadOnlyList<PusherSubscription> Subscriptions => _subs.All;

    public PusherSubscription? GetSubscription(string channel) => _subs.Get(channel);

    /// <summary>Starts connecting in the background (idempotent). Subscribing starts it too.</summary>
    public void Start()
    {
        ThrowIfDisposed();
        lock (_gate)
        {
            if (_loop is not null) return;
            _loop = Task.Run(() => _sessionLoop.RunAsync(_lifetime.Token));
        }
    }

    /// <summary>
    /// Starts and waits until the connection has been established once. Throws <see cref="PusherConnectionException"/>
    /// when Pusher refuses it for good (4000–4099). Cancelling stops the wait only; the connection keeps trying until disposed.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        Start();
        await _firstConnected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Subscribes to <paramref name="channel"/> (now, or as soon as connected) and returns its subscription at once;
    /// returns the existing one if already subscribed. Presence channels signed here need <paramref name="member"/>.
    /// </summary>
    public PusherSubscription Subscribe(string channel, PresenceMember? member = null)
    {
        ThrowIfDisposed();
        PusherLimits.ValidateChannelName(channel);
        if (channel.StartsWith("private-encrypted-", StringComparison.Ordinal))
            throw new NotSupportedException("End-to-end encrypted channels (private-encrypted-*) are not supported");
        var type = PusherSubscription.TypeOf(channel);
        if (type != PusherChannelType.Public && _client.Authorizer is null)
        {
            if (_selfSigner is null)
                throw new ArgumentException($"'{channel}' needs authorization: set PusherOptions.Secret or PusherClientOptions.Authorizer", nameof(channel));
            if (type == PusherChannelType.Presence && member is null)
                throw new ArgumentException($"Presence channel '{channel}' is signed here, so it needs a PresenceMember (user id and info)", nameof(member));
        }
        if (member is not null) PusherLimits.ValidateUserId(member.UserId, nameof(member));

        PusherSubscription sub;
        PusherSession? session;
        PusherError? refused = null;
        lock (_gate)
        {
            sub = _subs.GetOrAdd(channel, () => new PusherSubscription(this, channel, member, _client.SubscriptionBufferCapacity, _time), out var added);
            if (!added) return sub;
            session = _session is { Established: true } s ? s : null;
            if (_state == PusherConnectionState.Failed) refused = _lastError;
        }
        if (refused is not null) { sub.OnConnectionRefused(refused); return sub; }
        Start();
        if (session is not null) _ = _dispatcher.SendSubscribeAsync(session, sub);
        return sub;
    }

    /// <summary><see cref="Subscribe"/>, then waits for the first outcome (see <see cref="PusherSubscription.WaitUntilSubscribedAsync"/>).</summary>
    public async Task<PusherSubscription> SubscribeAsync(string channel, PresenceMember? member = null, CancellationToken cancellationToken = default)
    {
        var sub = Subscribe(channel, member);
        await sub.WaitUntilSubscribedAsync(cancellationToken).ConfigureAwait(false);
        return sub;
    }

    /// <summary>Unsubscribes (sends <c>pusher:unsubscribe</c> when connected) and ends the subscription's event stream.</summary>
    public async Task UnsubscribeAsync(string channel, CancellationToken cancellationToken = default)
    {
        if (!_subs.Remove(channel, out var sub, out var sentOn)) return;
        sub.OnUnsubscribed();
        FlushGapIfComplete();
        if (sentOn is not null && ReferenceEquals(sentOn, _session) && sentOn.Established)
            await sentOn.SendAsync(PusherProtocol.Unsubscribe(channel), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a client event (<c>client-*</c>) on a subscribed private or presence channel. Client events are paced to
    /// <see cref="PusherClientOptions.ClientEventsPerSecond"/> per connection: callers beyond that wait their turn
    /// (nothing is dropped). <paramref name="data"/>: a string, a JToken, or any object (serialized as JSON).
    /// Throws <see cref="PusherClientEventException"/> when the channel is not subscribed right now or the connection
    /// is down when the event's turn comes; <see cref="PusherValidationException"/> for names and data over Pusher's limits.
    /// Pusher does not send the event back to this connection.
    /// </summary>
    public async Task TriggerAsync(string channel, string eventName, object data, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(data);
        PusherLimits.ValidateEventName(eventName, nameof(eventName));
        if (!eventName.StartsWith("client-", StringComparison.Ordinal))
            throw new ArgumentException($"Client event names start with 'client-'; got '{eventName}'", nameof(eventName));
        var token = data as JToken ?? (data is string s ? new JValue(s) : JToken.FromObject(data));
        PusherLimits.ValidateData(JsJson.Stringify(token), nameof(data));
        var sub = GetSubscription(channel) ?? throw new PusherClientEventException($"Not subscribed to '{channel}': subscribe before sending client events");
        if (sub.Type == PusherChannelType.Public)
            throw new PusherClientEventException($"Client events can only be sent on private and presence channels, not on '{channel}'");
        var frame = PusherProtocol.ClientEvent(channel, eventName, token);

        var wait = _pacer.Reserve();
        if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);

        var session = _session;
        if (session is null || !session.Established)
            throw new PusherClientEventException($"Cannot send '{eventName}' on '{channel}': the Pusher connection is down");
        if (sub.State != SubscriptionState.Subscribed)
            throw new PusherClientEventException($"Cannot send '{eventName}': '{channel}' is {sub.State.ToString().ToLowerInvariant()}, not subscribed");
        if (!await session.SendAsync(frame, cancellationToken).ConfigureAwait(false))
            throw new PusherClientEventException($"Cannot send '{eventName}' on '{channel}': the Pusher connection was lost");
    }

    public PusherConnectionSnapshot GetSnapshot()
    {
        lock (_gate)
        {
            var (subscribed, failed, dropped) = _subs.Tally();
            return new PusherConnectionSnapshot
            {
                Id = Id,
                State = _state,
                SocketId = _session is { Established: true } s ? s.SocketId : null,
                Channels = _subs.Count,
                SubscribedChannels = subscribed,
                FailedChannels = failed,
                ConnectAttempts = _history.Attempts,
                Reconnects = _history.Reconnects,
                DroppedEvents = dropped,
                LastError = _lastError,
                ConnectedSince = _state == PusherConnectionState.Connected ? _history.ConnectedSince : null,
            };
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (_session is { } session) await session.CloseAsync().ConfigureAwait(false);
        _lifetime.Cancel();
        Task? loop;
        lock (_gate) loop = _loop;
        if (loop is not null)
        {
            try { await loop.ConfigureAwait(false); }
            catch (Exception e) { _logger.LogDebug(e, "Pusher connection {Id} loop ended with an error", Id); }
        }
        foreach (var sub in _subs.Clear()) sub.OnUnsubscribed();
        _firstConnected.TrySetException(new ObjectDisposedException(nameof(PusherConnection)));
        SetState(PusherConnectionState.Disposed);
        await _notifier.CompleteAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    // ================================================================ for the parts (session loop, dispatcher)

    internal object Gate => _gate;
    internal PusherClientOptions Client => _client;
    internal ILogger Logger => _logger;
    internal TimeProvider Time => _time;
    internal PusherAuthorizer? SelfSigner => _selfSigner;
    internal SubscriptionTable Table => _subs;
    internal ConnectionHistory History => _history;
    internal CancellationToken Lifetime => _lifetime.Token;

    internal bool IsCurrent(PusherSession session)
    {
        lock (_gate) return ReferenceEquals(_session, session);
    }

    internal void Attach(PusherSession session)
    {
        lock (_gate) _session = session;
    }

    /// <summary>The session ended: it is no longer current and every channel waits for the next one.</summary>
    internal void Detach(PusherSession session)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_session, session)) _session = null;
            _subs.SessionEnded();
        }
    }

    internal void RecordError(PusherError error)
    {
        lock (_gate) _lastError = error;
    }

    internal void FirstConnectSucceeded() => _firstConnected.TrySetResult();

    internal void FirstConnectFailed(Exception reason) => _firstConnected.TrySetException(reason);

    /// <summary>Once every channel expected back after a reconnect is back (or failed): one <see cref="ChannelsResumedAfterGap"/>.</summary>
    internal void FlushGapIfComplete()
    {
        if (_subs.TakeResumedWhenComplete() is not { } resumed) return;
        _logger.LogInformation("Pusher connection {Id}: {Count} channel(s) resubscribed after a gap", Id, resumed.Length);
        _notifier.Post(() => ChannelsResumedAfterGap?.Invoke(this, resumed));
    }

    internal void SetState(PusherConnectionState state)
    {
        PusherConnectionState previous;
        string? socketId;
        lock (_gate)
        {
            previous = _state;
            if (previous == state || previous == PusherConnectionState.Disposed) return;
            _state = state;
            socketId = _session is { Established: true } s ? s.SocketId : null;
        }
        var change = new PusherStateChange(previous, state, socketId);
        _notifier.Post(() => StateChanged?.Invoke(this, change));
    }

    internal void Report(PusherError error) => _notifier.Post(() => ErrorReported?.Invoke(this, error));

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
}
