using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Testing;

/// <summary>Where a pusher-js client connects and how it authorizes (the dashboard's set-up).</summary>
public sealed record PusherJsOptions
{
    public required string Key { get; init; }
    public required string Host { get; init; }
    public required int Port { get; init; }
    public string? AuthEndpoint { get; init; }
    public string? UserAuthEndpoint { get; init; }
    public IDictionary<string, string>? Headers { get; init; }

    public static PusherJsOptions For(SoketiServer soketi, string? authEndpoint = null, string? bearer = null) => new()
    {
        Key = soketi.Settings.Key,
        Host = soketi.Host,
        Port = soketi.Port,
        AuthEndpoint = authEndpoint,
        UserAuthEndpoint = authEndpoint?.Replace("/pusher/auth", "/pusher/user-auth"),
        Headers = bearer is null ? null : new Dictionary<string, string> { ["Authorization"] = "Bearer " + bearer },
    };
}

/// <summary>
/// The real pusher-js (the dashboard's library) in a Node process, driven from C#.
/// Every message it reports is kept, so a test can wait for one that matches.
/// See tests/js/pusherjs-client.mjs for the line protocol.
/// </summary>
public sealed class PusherJsClient : IAsyncDisposable
{
    private readonly ManagedProcess _process;
    private readonly List<JObject> _seen = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PusherJsClient(PusherJsOptions options)
    {
        var config = JsonConvert.SerializeObject(new
        {
            key = options.Key,
            host = options.Host,
            port = options.Port,
            authEndpoint = options.AuthEndpoint,
            userAuthEndpoint = options.UserAuthEndpoint,
            headers = options.Headers,
        });
        _process = new ManagedProcess("node", [RepoPaths.TestScript("pusherjs-client.mjs"), config],
            redirectStdin: true, onStdoutLine: OnLine);
    }

    /// <summary>Starts pusher-js and waits until it is connected.</summary>
    public static async Task<PusherJsClient> ConnectAsync(PusherJsOptions options, TimeSpan? timeout = null)
    {
        var client = new PusherJsClient(options);
        var state = await client.WaitForAsync(m => (string?)m["type"] == "state" && (string?)m["current"] == "connected",
            timeout ?? Patience.Step, "pusher-js to connect");
        client.SocketId = (string?)state["socketId"];
        return client;
    }

    public string? SocketId { get; private set; }

    /// <summary>
    /// Subscribes and waits for this subscription's success or error (not an earlier one's, after a
    /// re-subscribe); returns that message.
    /// </summary>
    public async Task<JObject> SubscribeAsync(string channel, TimeSpan? timeout = null)
    {
        var from = MessageCount;
        Send(new { op = "subscribe", channel });
        return await WaitForAsync(m => (string?)m["channel"] == channel &&
                                       ((string?)m["type"] == "subscribed" || (string?)m["type"] == "subscription_error"),
            timeout ?? Patience.Step, $"subscription to {channel}", from);
    }

    public void Unsubscribe(string channel) => Send(new { op = "unsubscribe", channel });

    /// <summary>pusher:signin through the user authentication endpoint; waits for success.</summary>
    public Task<JObject> SignInAsync(TimeSpan? timeout = null)
    {
        var from = MessageCount;
        Send(new { op = "signin" });
        return WaitForAsync(m => (string?)m["type"] == "signed_in", timeout ?? Patience.Step, "pusher:signin_success", from);
    }

    public void TriggerClientEvent(string channel, string eventName, object data) =>
        Send(new { op = "trigger", channel, @event = eventName, data });

    /// <summary>
    /// Binds a named handler for <paramref name="eventName"/> on a subscribed channel: it reports
    /// <c>{type:"bound_event", channel, event, data, userId}</c>. pusher-js passes metadata
    /// (the sender's <c>user_id</c> on presence channels) only to named handlers, not to bind_global.
    /// Completes once the handler is in place: an event sent after that reaches it (the command and Pusher's frames
    /// race in the Node process otherwise).
    /// </summary>
    public async Task BindAsync(string channel, string eventName, TimeSpan? timeout = null)
    {
        var from = MessageCount;
        Send(new { op = "bind", channel, @event = eventName });
        await WaitForAsync(m => (string?)m["type"] == "bound" && (string?)m["channel"] == channel && (string?)m["event"] == eventName,
            timeout ?? Patience.Step, $"pusher-js to bind {eventName} on {channel}", from);
    }

    public Task<JObject> NextBoundEventAsync(string channel, string eventName, TimeSpan? timeout = null) =>
        WaitForAsync(m => (string?)m["type"] == "bound_event" && (string?)m["channel"] == channel && (string?)m["event"] == eventName,
            timeout ?? Patience.Step, $"bound event {eventName} on {channel}");

    public Task<JObject> NextEventAsync(string channel, string eventName, TimeSpan? timeout = null) =>
        WaitForAsync(m => (string?)m["type"] == "event" && (string?)m["channel"] == channel && (string?)m["event"] == eventName,
            timeout ?? Patience.Step, $"event {eventName} on {channel}");

    /// <summary>Every event pusher-js has delivered so far, in arrival order.</summary>
    public IReadOnlyList<JObject> Events
    {
        get { lock (_seen) return _seen.Where(m => (string?)m["type"] == "event").ToList(); }
    }

    /// <summary>Every message pusher-js has reported so far (events, member_added/removed, states…), in arrival order.</summary>
    public IReadOnlyList<JObject> Messages
    {
        get { lock (_seen) return _seen.ToList(); }
    }

    /// <summary>How many messages pusher-js has reported so far: a mark to wait for only later ones.</summary>
    public int MessageCount
    {
        get { lock (_seen) return _seen.Count; }
    }

    /// <summary>
    /// Waits for a message matching <paramref name="match"/> among those from index
    /// <paramref name="from"/> on. Messages are kept, so one that arrived before the call counts
    /// unless <paramref name="from"/> (a <see cref="MessageCount"/> taken earlier) excludes it:
    /// callers either match on content that identifies the one they want or pass a mark.
    /// </summary>
    public async Task<JObject> WaitForAsync(Func<JObject, bool> match, TimeSpan timeout, string what, int from = 0)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_seen)
            {
                var found = _seen.Skip(from).FirstOrDefault(match);
                if (found is not null) return found;
                changed = _changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
                throw new TimeoutException($"pusher-js: timed out after {timeout.TotalSeconds:0.#}s waiting for {what}.\n{_process.RecentOutput}");
        }
    }

    private void OnLine(string line)
    {
        JObject msg;
        try { msg = JObject.Parse(line); }
        catch (JsonException) { return; }
        TaskCompletionSource wake;
        lock (_seen)
        {
            _seen.Add(msg);
            wake = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        wake.TrySetResult();
    }

    private void Send(object command)
    {
        _process.StandardInput.WriteLine(JsonConvert.SerializeObject(command));
        _process.StandardInput.Flush();
    }

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
