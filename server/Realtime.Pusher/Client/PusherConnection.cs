using System.Buffers;
using System.Net.WebSockets;
using System.Text;
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
    private readonly Dictionary<string, PusherSubscription> _subs = new(StringComparer.Ordinal);
    private readonly Dictionary<PusherSubscription, Session> _sentOn = new();
    private readonly HashSet<string> _gapPending = new(StringComparer.Ordinal);
    private readonly List<string> _gapResumed = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ClientEventPacer _pacer;
    private readonly Notifier _notifier;
    private readonly TaskCompletionSource _firstConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private Session? _session;
    private volatile PusherConnectionState _state = PusherConnectionState.Initialized;
    private PusherError? _lastError;
    private long _attempts;
    private long _reconnects;
    private bool _everConnected;
    private bool _outageReported;
    private DateTimeOffset? _connectedSince;
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

    public long ConnectAttempts => Interlocked.Read(ref _attempts);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    public int ChannelCount { get { lock (_gate) return _subs.Count; } }

    /// <summary>State changes (connecting, connected, unavailable, failed). Runs off the socket reader.</summary>
    public event EventHandler<PusherStateChange>? StateChanged;

    /// <summary>Errors: <c>pusher:error</c>, refused or lost connections (once per outage), failed subscriptions.</summary>
    public event EventHandler<PusherError>? ErrorReported;

    /// <summary>
    /// After a reconnect, once every previously subscribed channel has been subscribed again: the channels that
    /// may have missed events while the connection was down (the relay turns this into <c>relay:gap</c>).
    /// </summary>
    public event EventHandler<IReadOnlyList<string>>? ChannelsResumedAfterGap;

    public IReadOnlyList<PusherSubscription> Subscriptions { get { lock (_gate) return _subs.Values.ToList(); } }

    public PusherSubscription? GetSubscription(string channel)
    {
        lock (_gate) return _subs.GetValueOrDefault(channel);
    }

    /// <summary>Starts connecting in the background (idempotent). Subscribing starts it too.</summary>
    public void Start()
    {
        ThrowIfDisposed();
        lock (_gate)
        {
            if (_loop is not null) return;
            _loop = Task.Run(RunAsync);
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
        Session? session;
        PusherError? refused = null;
        lock (_gate)
        {
            if (_subs.TryGetValue(channel, out var existing)) return existing;
            sub = new PusherSubscription(this, channel, member, _client.SubscriptionBufferCapacity, _time);
            _subs.Add(channel, sub);
            session = _session is { Established: true } s ? s : null;
            if (_state == PusherConnectionState.Failed) refused = _lastError;
        }
        if (refused is not null) { sub.OnConnectionRefused(refused); return sub; }
        Start();
        if (session is not null) _ = SendSubscribeAsync(session, sub);
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
        PusherSubscription? sub;
        Session? sentOn;
        lock (_gate)
        {
            if (!_subs.Remove(channel, out sub)) return;
            _sentOn.Remove(sub, out sentOn);
            _gapPending.Remove(channel);
        }
        sub.OnUnsubscribed();
        FlushGapIfComplete();
        if (sentOn is not null && ReferenceEquals(sentOn, _session) && sentOn.Established)
            await SendAsync(sentOn, PusherProtocol.Unsubscribe(channel), cancellationToken).ConfigureAwait(false);
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
        if (!await SendAsync(session, frame, cancellationToken).ConfigureAwait(false))
            throw new PusherClientEventException($"Cannot send '{eventName}' on '{channel}': the Pusher connection was lost");
    }

    public PusherConnectionSnapshot GetSnapshot()
    {
        lock (_gate)
        {
            int subscribed = 0, failed = 0;
            long dropped = 0;
            foreach (var sub in _subs.Values)
            {
                if (sub.State == SubscriptionState.Subscribed) subscribed++;
                else if (sub.State == SubscriptionState.Failed) failed++;
                dropped += sub.DroppedEvents;
            }
            return new PusherConnectionSnapshot
            {
                Id = Id,
                State = _state,
                SocketId = _session is { Established: true } s ? s.SocketId : null,
                Channels = _subs.Count,
                SubscribedChannels = subscribed,
                FailedChannels = failed,
                ConnectAttempts = Interlocked.Read(ref _attempts),
                Reconnects = Interlocked.Read(ref _reconnects),
                DroppedEvents = dropped,
                LastError = _lastError,
                ConnectedSince = _state == PusherConnectionState.Connected ? _connectedSince : null,
            };
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        var session = _session;
        if (session is not null && session.Ws.State == WebSocketState.Open)
        {
            // Polite close; never wait long for it.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                if (await _sendLock.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false))
                {
                    try { await session.Ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token).ConfigureAwait(false); }
                    finally { _sendLock.Release(); }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        }
        _lifetime.Cancel();
        Task? loop;
        lock (_gate) loop = _loop;
        if (loop is not null)
        {
            try { await loop.ConfigureAwait(false); }
            catch (Exception e) { _logger.LogDebug(e, "Pusher connection {Id} loop ended with an error", Id); }
        }
        List<PusherSubscription> subs;
        lock (_gate)
        {
            subs = _subs.Values.ToList();
            _subs.Clear();
            _sentOn.Clear();
            _gapPending.Clear();
        }
        foreach (var sub in subs) sub.OnUnsubscribed();
        _firstConnected.TrySetException(new ObjectDisposedException(nameof(PusherConnection)));
        SetState(PusherConnectionState.Disposed);
        await _notifier.CompleteAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    // ================================================================ connection loop

    private sealed class Session(ClientWebSocket ws, CancellationToken lifetime, long startedAt)
    {
        public ClientWebSocket Ws { get; } = ws;
        public CancellationTokenSource Cts { get; } = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        public long StartedAt { get; } = startedAt;
        public string? SocketId { get; set; }
        public volatile bool Established;
        public volatile bool SignedIn;
        public TaskCompletionSource EstablishedSignal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TimeSpan ActivityTimeout { get; set; }
        public long LastReceived = startedAt;
        public volatile string? AbortReason;
        public int? PusherErrorCode { get; set; }
        public string? PusherErrorMessage { get; set; }

        public void Abort(string reason)
        {
            AbortReason ??= reason;
            try { Ws.Abort(); } catch (ObjectDisposedException) { }
            try { Cts.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    private readonly record struct Outcome(bool Established, int? CloseCode, string Reason, int? PusherErrorCode);

    private async Task RunAsync()
    {
        var ct = _lifetime.Token;
        var retry = 0;
        var immediate = 0;
        while (!ct.IsCancellationRequested)
        {
            Interlocked.Increment(ref _attempts);
            SetState(PusherConnectionState.Connecting);
            Outcome outcome;
            try { outcome = await RunSessionAsync(ct).ConfigureAwait(false); }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                _logger.LogError(e, "Pusher connection {Id}: unexpected error", Id);
                outcome = new Outcome(false, null, "unexpected error: " + e.Message, null);
            }
            if (ct.IsCancellationRequested) break;
            if (outcome.Established) { retry = 0; immediate = 0; }

            // A close without a Pusher code (e.g. the socket reset right after pusher:error) takes the error's code.
            var code = outcome.CloseCode is >= 4000 and <= 4999 ? outcome.CloseCode
                : outcome.PusherErrorCode is >= 4000 and <= 4299 ? outcome.PusherErrorCode
                : outcome.CloseCode;
            var action = PusherCloseCodes.Classify(code);
            if (action == CloseAction.Stop)
            {
                var error = new PusherError
                {
                    Kind = PusherErrorKind.ConnectionRefused,
                    Code = code,
                    Message = $"Pusher refused the connection to {Uri.GetLeftPart(UriPartial.Path)} ({code}): {outcome.Reason}. " +
                              "Not reconnecting: check the app key, cluster/host and app settings.",
                    At = _time.GetUtcNow(),
                };
                _logger.LogError("Pusher connection {Id}: {Error}", Id, error.Message);
                List<PusherSubscription> subs;
                lock (_gate)
                {
                    _lastError = error;
                    subs = _subs.Values.ToList();
                }
                SetState(PusherConnectionState.Failed);
                foreach (var sub in subs) sub.OnConnectionRefused(error);
                _firstConnected.TrySetException(new PusherConnectionException(error));
                Report(error);
                return;
            }

            TimeSpan delay;
            if (action == CloseAction.ReconnectNow && immediate++ < 3)
            {
                delay = TimeSpan.Zero;
            }
            else
            {
                retry++;
                delay = (action == CloseAction.BackoffOverCapacity ? _client.OverCapacityBackoff : _client.NetworkBackoff).Delay(retry);
            }
            var lost = new PusherError
            {
                Kind = PusherErrorKind.ConnectionLost,
                Code = code,
                Message = (outcome.Established ? "Connection lost: " : "Could not connect: ") + outcome.Reason +
                          $"; retrying in {delay.TotalMilliseconds:0} ms",
                At = _time.GetUtcNow(),
            };
            bool report;
            lock (_gate)
            {
                _lastError = lost;
                report = !_outageReported;
                _outageReported = true;
            }
            if (report)
            {
                _logger.LogWarning("Pusher connection {Id}: {Error}", Id, lost.Message);
                Report(lost);
            }
            else
            {
                _logger.LogDebug("Pusher connection {Id}: {Error}", Id, lost.Message);
            }
            SetState(PusherConnectionState.Unavailable);
            if (delay > TimeSpan.Zero)
            {
                try { await Task.Delay(delay, _time, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    private async Task<Outcome> RunSessionAsync(CancellationToken ct)
    {
        using var ws = new ClientWebSocket();
        var session = new Session(ws, ct, _time.GetTimestamp());
        try
        {
            try
            {
                using var connectCts = CancellationTokenSource.CreateLinkedTokenSource(session.Cts.Token);
                connectCts.CancelAfter(_client.ConnectTimeout);
                await ws.ConnectAsync(Uri, connectCts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is WebSocketException or OperationCanceledException or HttpRequestException or IOException)
            {
                var why = e is OperationCanceledException ? $"no WebSocket within {_client.ConnectTimeout.TotalSeconds:0.#} s" : Innermost(e);
                return new Outcome(false, null, why, null);
            }

            lock (_gate) _session = session;
            var heartbeat = HeartbeatAsync(session);
            int? closeCode = null;
            string reason;
            try
            {
                await ReadLoopAsync(session).ConfigureAwait(false);
                closeCode = (int?)ws.CloseStatus;
                reason = session.PusherErrorMessage ?? (string.IsNullOrEmpty(ws.CloseStatusDescription)
                    ? $"closed by the server ({closeCode?.ToString() ?? "no code"})"
                    : ws.CloseStatusDescription!);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                reason = session.AbortReason ?? Innermost(e);
            }
            finally
            {
                session.Abort(session.AbortReason ?? "closed");
                List<PusherSubscription> subs;
                lock (_gate)
                {
                    if (ReferenceEquals(_session, session)) _session = null;
                    subs = _subs.Values.ToList();
                    _sentOn.Clear();
                }
                foreach (var sub in subs) sub.MarkPending();
                try { await heartbeat.ConfigureAwait(false); } catch (OperationCanceledException) { }
            }
            return new Outcome(session.Established, closeCode, reason, session.PusherErrorCode);
        }
        finally
        {
            session.Cts.Dispose();
        }
    }

    private async Task ReadLoopAsync(Session session)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var message = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (true)
            {
                message.ResetWrittenCount();
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await session.Ws.ReceiveAsync(buffer.AsMemory(), session.Cts.Token).ConfigureAwait(false);
                    if (r.MessageType == WebSocketMessageType.Close) return;
                    if (message.WrittenCount + r.Count > _client.MaxMessageBytes)
                    {
                        session.Abort($"the server sent a message over {_client.MaxMessageBytes} bytes");
                        throw new WebSocketException(session.AbortReason);
                    }
                    message.Write(buffer.AsSpan(0, r.Count));
                } while (!r.EndOfMessage);
                Interlocked.Exchange(ref session.LastReceived, _time.GetTimestamp());
                if (r.MessageType != WebSocketMessageType.Text) continue;

                PusherMessage msg;
                try { msg = PusherProtocol.Parse(Encoding.UTF8.GetString(message.WrittenSpan)); }
                catch (PusherProtocolException e)
                {
                    _logger.LogWarning("Pusher connection {Id}: ignored a frame: {Reason}", Id, e.Message);
                    continue;
                }
                await HandleAsync(session, msg).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HeartbeatAsync(Session session)
    {
        var token = session.Cts.Token;
        // Handshake: pusher:connection_established must come within the connect timeout.
        try
        {
            await session.EstablishedSignal.Task.WaitAsync(_client.ConnectTimeout, _time, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            session.Abort($"no pusher:connection_established within {_client.ConnectTimeout.TotalSeconds:0.#} s");
            return;
        }
        while (!token.IsCancellationRequested)
        {
            var idle = _time.GetElapsedTime(Interlocked.Read(ref session.LastReceived));
            if (idle < session.ActivityTimeout)
            {
                await Task.Delay(session.ActivityTimeout - idle, _time, token).ConfigureAwait(false);
                continue;
            }
            var pingAt = _time.GetTimestamp();
            _logger.LogDebug("Pusher connection {Id}: idle for {Idle}, sending pusher:ping", Id, idle);
            await SendAsync(session, PusherProtocol.Ping(), token).ConfigureAwait(false);
            await Task.Delay(_client.PongTimeout, _time, token).ConfigureAwait(false);
            if (Interlocked.Read(ref session.LastReceived) < pingAt)
            {
                session.Abort($"no answer to pusher:ping within {_client.PongTimeout.TotalSeconds:0.#} s");
                return;
            }
        }
    }

    // ================================================================ messages

    private async Task HandleAsync(Session session, PusherMessage msg)
    {
        switch (msg.Event)
        {
            case "pusher:connection_established":
                OnEstablished(session, msg);
                return;
            case "pusher:error":
                OnServerError(session, msg);
                return;
            case "pusher:ping":
                await SendAsync(session, PusherProtocol.Pong(), session.Cts.Token).ConfigureAwait(false);
                return;
            case "pusher:pong":
                return;
            case "pusher:signin_success":
                session.SignedIn = true;
                _logger.LogDebug("Pusher connection {Id}: signed in", Id);
                return;
        }

        if (msg.Channel is null) return;
        var sub = GetSubscription(msg.Channel);
        if (sub is null) return;
        var now = _time.GetUtcNow();
        switch (msg.Event)
        {
            case "pusher_internal:subscription_succeeded":
                sub.OnSucceeded(msg);
                OnResubscribed(sub, now);
                break;
            case "pusher:subscription_error":
                OnSubscriptionError(sub, msg);
                break;
            case "pusher_internal:member_added":
                sub.OnMemberAdded(msg, now);
                break;
            case "pusher_internal:member_removed":
                sub.OnMemberRemoved(msg, now);
                break;
            default:
                if (!msg.Event.StartsWith("pusher_internal:", StringComparison.Ordinal)) sub.OnEvent(msg, now);
                break;
        }
    }

    private void OnEstablished(Session session, PusherMessage msg)
    {
        var data = msg.Data as JObject;
        var socketId = PusherProtocol.ScalarToString(data?["socket_id"]);
        if (!PusherLimits.IsValidSocketId(socketId))
        {
            session.Abort($"pusher:connection_established without a valid socket_id ({msg.RawData})");
            return;
        }
        var activity = _client.ActivityTimeout;
        var serverSeconds = data?["activity_timeout"];
        if (serverSeconds?.Type is JTokenType.Integer or JTokenType.Float && (double)serverSeconds > 0)
        {
            var server = TimeSpan.FromSeconds((double)serverSeconds);
            if (server < activity) activity = server;
        }
        session.SocketId = socketId;
        session.ActivityTimeout = activity;
        session.Established = true;
        session.EstablishedSignal.TrySetResult();

        bool reconnect;
        lock (_gate)
        {
            reconnect = _everConnected;
            _everConnected = true;
            _outageReported = false;
            _connectedSince = _time.GetUtcNow();
            if (reconnect)
            {
                foreach (var sub in _subs.Values)
                {
                    if (sub.EverSubscribed && sub.State != SubscriptionState.Unsubscribed) _gapPending.Add(sub.Channel);
                }
            }
        }
        if (reconnect) Interlocked.Increment(ref _reconnects);
        _logger.LogInformation("Pusher connection {Id}: connected as {SocketId} (activity timeout {Activity} s){Again}",
            Id, socketId, activity.TotalSeconds, reconnect ? ", reconnected" : "");
        SetState(PusherConnectionState.Connected);
        _firstConnected.TrySetResult();
        _ = AfterEstablishedAsync(session);
    }

    /// <summary>Signs in (if configured) and subscribes every channel on a new connection. Runs off the reader.</summary>
    private async Task AfterEstablishedAsync(Session session)
    {
        try
        {
            if (_client.SignInAs is { } user)
            {
                if (_selfSigner is null)
                {
                    Report(new PusherError { Kind = PusherErrorKind.ServerError, Message = "SignInAs is set but PusherOptions.Secret is empty: cannot sign in" });
                }
                else
                {
                    var auth = _selfSigner.AuthenticateUser(session.SocketId!, user);
                    await SendAsync(session, PusherProtocol.SignIn(auth.Auth, auth.UserData), session.Cts.Token).ConfigureAwait(false);
                }
            }
            foreach (var sub in Subscriptions)
            {
                if (!ReferenceEquals(_session, session) || session.Cts.IsCancellationRequested) return;
                await SendSubscribeAsync(session, sub).ConfigureAwait(false);
            }
            FlushGapIfComplete();
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (Exception e)
        {
            _logger.LogError(e, "Pusher connection {Id}: resubscribing failed", Id);
        }
    }

    private async Task SendSubscribeAsync(Session session, PusherSubscription sub)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_session, session) || !session.Established) return;
            if (!_subs.TryGetValue(sub.Channel, out var current) || !ReferenceEquals(current, sub)) return;
            if (_sentOn.TryGetValue(sub, out var sentOn) && ReferenceEquals(sentOn, session)) return;
            _sentOn[sub] = session;
        }
        sub.MarkPending();
        string frame;
        try
        {
            frame = await BuildSubscribeFrameAsync(session, sub).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (session.Cts.IsCancellationRequested || _lifetime.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            var error = new PusherError
            {
                Kind = PusherErrorKind.SubscriptionFailed,
                Channel = sub.Channel,
                Message = "Authorization failed: " + e.Message,
                At = _time.GetUtcNow(),
            };
            FailSubscription(sub, error);
            return;
        }
        lock (_gate)
        {
            if (!_subs.TryGetValue(sub.Channel, out var current) || !ReferenceEquals(current, sub)) return;
        }
        await SendAsync(session, frame, session.Cts.Token).ConfigureAwait(false);
    }

    private async Task<string> BuildSubscribeFrameAsync(Session session, PusherSubscription sub)
    {
        if (sub.Type == PusherChannelType.Public) return PusherProtocol.Subscribe(sub.Channel);
        var socketId = session.SocketId!;
        ChannelAuthorization auth;
        if (_client.Authorizer is { } authorizer)
        {
            auth = await authorizer(socketId, sub.Channel, session.Cts.Token).ConfigureAwait(false)
                   ?? throw new InvalidOperationException("the authorizer returned null");
        }
        else if (sub.Type == PusherChannelType.Presence)
        {
            var member = sub.Member ?? throw new InvalidOperationException("a presence channel needs a PresenceMember");
            auth = _selfSigner!.AuthorizePresenceChannel(socketId, sub.Channel, member.UserId, member.UserInfo);
        }
        else
        {
            auth = _selfSigner!.AuthorizePrivateChannel(socketId, sub.Channel);
        }
        return PusherProtocol.Subscribe(sub.Channel, auth.Auth, auth.ChannelData);
    }

    private void OnServerError(Session session, PusherMessage msg)
    {
        var data = msg.Data as JObject;
        int? code = data?["code"]?.Type == JTokenType.Integer ? (int)data["code"]! : null;
        var message = PusherProtocol.ScalarToString(data?["message"]) ?? msg.RawData ?? "(no message)";
        if (code is >= 4000 and <= 4299)
        {
            // Connection-level: the close that follows carries (or, if missing, takes) this code.
            session.PusherErrorCode = code;
            session.PusherErrorMessage = message;
            _logger.LogDebug("Pusher connection {Id}: pusher:error {Code} {Message}", Id, code, message);
            return;
        }
        var error = new PusherError { Kind = PusherErrorKind.ServerError, Code = code, Message = message, Channel = msg.Channel, At = _time.GetUtcNow() };
        _logger.LogWarning("Pusher connection {Id}: pusher:error {Error}", Id, error);
        lock (_gate) _lastError = error;
        Report(error);
    }

    private void OnSubscriptionError(PusherSubscription sub, PusherMessage msg)
    {
        var data = msg.Data as JObject;
        int? status = data?["status"]?.Type == JTokenType.Integer ? (int)data["status"]! : null;
        var text = PusherProtocol.ScalarToString(data?["error"]) ?? PusherProtocol.ScalarToString(data?["type"]) ?? msg.RawData ?? "subscription refused";
        var type = PusherProtocol.ScalarToString(data?["type"]);
        FailSubscription(sub, new PusherError
        {
            Kind = PusherErrorKind.SubscriptionFailed,
            Channel = sub.Channel,
            Code = status,
            Message = type is null || text == type ? text : $"{type}: {text}",
            At = _time.GetUtcNow(),
        });
    }

    private void FailSubscription(PusherSubscription sub, PusherError error)
    {
        _logger.LogWarning("Pusher connection {Id}: subscribing to {Channel} failed: {Error}", Id, sub.Channel, error.Message);
        sub.OnFailed(error);
        lock (_gate)
        {
            _lastError = error;
            _gapPending.Remove(sub.Channel);
        }
        Report(error);
        FlushGapIfComplete();
    }

    private void OnResubscribed(PusherSubscription sub, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_gapPending.Remove(sub.Channel)) return;
            sub.OnResumedAfterGap(now);
            _gapResumed.Add(sub.Channel);
        }
        FlushGapIfComplete();
    }

    private void FlushGapIfComplete()
    {
        string[] resumed;
        lock (_gate)
        {
            if (_gapPending.Count > 0 || _gapResumed.Count == 0) return;
            resumed = _gapResumed.ToArray();
            _gapResumed.Clear();
        }
        _logger.LogInformation("Pusher connection {Id}: {Count} channel(s) resubscribed after a gap", Id, resumed.Length);
        _notifier.Post(() => ChannelsResumedAfterGap?.Invoke(this, resumed));
    }

    // ================================================================ plumbing

    /// <summary>Sends one frame; false if the socket is gone (it is then aborted so the reader reconnects).</summary>
    private async Task<bool> SendAsync(Session session, string frame, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (session.Ws.State != WebSocketState.Open || session.Cts.IsCancellationRequested) return false;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(session.Cts.Token, cancellationToken);
            await session.Ws.SendAsync(bytes, WebSocketMessageType.Text, true, linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !session.Cts.IsCancellationRequested)
        {
            // The caller gave up mid-send: the frame may be half-written, so the socket cannot be trusted.
            session.Abort("a send was cancelled midway");
            throw;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            session.Abort("send failed: " + Innermost(e));
            return false;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void SetState(PusherConnectionState state)
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

    private void Report(PusherError error) => _notifier.Post(() => ErrorReported?.Invoke(this, error));

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);

    private static string Innermost(Exception e)
    {
        var message = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException) message = inner.Message;
        return message;
    }
}
