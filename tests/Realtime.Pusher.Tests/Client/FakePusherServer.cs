using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Realtime.Testing;

namespace Realtime.Pusher.Tests.Client;

/// <summary>
/// A scripted Pusher-protocol WebSocket server, for what soketi cannot be made to do on demand:
/// stay silent after a ping, ping the client, close with a chosen code. Each accepted socket runs
/// <c>script</c>; frames the client sends are recorded per connection.
/// </summary>
internal sealed class FakePusherServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<FakeSocket, Task> _script;
    private readonly Task _loop;
    private int _count;

    public FakePusherServer(Func<FakeSocket, Task> script)
    {
        _script = script;
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public int Connections => Volatile.Read(ref _count);
    public ConcurrentQueue<FakeSocket> Sockets { get; } = new();

    public PusherOptions Options => new() { AppId = "1", Key = "fake-key", Secret = "fake-secret", Host = "127.0.0.1", Port = Port, Scheme = "http" };

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            if (!ctx.Request.IsWebSocketRequest) { ctx.Response.StatusCode = 400; ctx.Response.Close(); continue; }
            _ = Task.Run(async () =>
            {
                var ws = (await ctx.AcceptWebSocketAsync(null)).WebSocket;
                var socket = new FakeSocket(ws, Interlocked.Increment(ref _count));
                Sockets.Enqueue(socket);
                var reader = socket.ReadLoopAsync();
                try { await _script(socket); } catch (Exception) { }
                await reader;
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { _listener.Stop(); _listener.Close(); } catch (Exception) { }
        foreach (var s in Sockets) s.Ws.Abort();
        try { await _loop; } catch (Exception) { }
    }
}

internal sealed class FakeSocket(WebSocket ws, int number)
{
    public WebSocket Ws { get; } = ws;
    public int Number { get; } = number;
    public ConcurrentQueue<string> Received { get; } = new();
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task SendAsync(string text) => Ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task EstablishAsync(int activityTimeoutSeconds = 120) =>
        SendAsync("{\"event\":\"pusher:connection_established\",\"data\":\"{\\\"socket_id\\\":\\\"123." + Number + "\\\",\\\"activity_timeout\\\":" + activityTimeoutSeconds + "}\"}");

    public async Task CloseAsync(int code, string reason)
    {
        try { await Ws.CloseOutputAsync((WebSocketCloseStatus)code, reason, CancellationToken.None); } catch (Exception) { }
    }

    public async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (Ws.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var r = await Ws.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close) break;
                Received.Enqueue(Encoding.UTF8.GetString(buffer, 0, r.Count));
            }
        }
        catch (Exception) { }
        Closed.TrySetResult();
    }
}
