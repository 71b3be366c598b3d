using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace Realtime.Pusher.Client;

/// <summary>
/// One WebSocket of a <see cref="PusherConnection"/>, from open to close: what the server said on it (socket id,
/// activity timeout, sign-in, a connection-level <c>pusher:error</c>), its frames sent one at a time, and its frames
/// read until it closes. Every reconnect is a new session; work meant for an old one finds it aborted.
/// </summary>
internal sealed class PusherSession(ClientWebSocket ws, CancellationToken lifetime, long startedAt) : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public ClientWebSocket Ws { get; } = ws;
    public CancellationTokenSource Cts { get; } = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
    public string? SocketId { get; set; }
    public volatile bool Established;
    public volatile bool SignedIn;
    public TaskCompletionSource EstablishedSignal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TimeSpan ActivityTimeout { get; set; }
    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last frame heard; read by the heartbeat.</summary>
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

    /// <summary>Sends one frame; false if the socket is gone (it is then aborted so the reader reconnects).</summary>
    public async Task<bool> SendAsync(string frame, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Ws.State != WebSocketState.Open || Cts.IsCancellationRequested) return false;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(Cts.Token, cancellationToken);
            await Ws.SendAsync(bytes, WebSocketMessageType.Text, true, linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !Cts.IsCancellationRequested)
        {
            // The caller gave up mid-send: the frame may be half-written, so the socket cannot be trusted.
            Abort("a send was cancelled midway");
            throw;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Abort("send failed: " + Innermost(e));
            return false;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>A polite close (the connection is being disposed); never waits long for it.</summary>
    public async Task CloseAsync()
    {
        if (Ws.State != WebSocketState.Open) return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            if (await _sendLock.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false))
            {
                try { await Ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token).ConfigureAwait(false); }
                finally { _sendLock.Release(); }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>
    /// Reads whole text frames and hands each to <paramref name="handle"/>, in order, until the server closes.
    /// A message over <paramref name="maxMessageBytes"/> aborts the session; frames that are not Pusher messages
    /// go to <paramref name="ignored"/>.
    /// </summary>
    public async Task ReadFramesAsync(int maxMessageBytes, TimeProvider time, Func<PusherMessage, Task> handle, Action<string> ignored)
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
                    r = await Ws.ReceiveAsync(buffer.AsMemory(), Cts.Token).ConfigureAwait(false);
                    if (r.MessageType == WebSocketMessageType.Close) return;
                    if (message.WrittenCount + r.Count > maxMessageBytes)
                    {
                        Abort($"the server sent a message over {maxMessageBytes} bytes");
                        throw new WebSocketException(AbortReason);
                    }
                    message.Write(buffer.AsSpan(0, r.Count));
                } while (!r.EndOfMessage);
                Interlocked.Exchange(ref LastReceived, time.GetTimestamp());
                if (r.MessageType != WebSocketMessageType.Text) continue;

                PusherMessage msg;
                try { msg = PusherProtocol.Parse(Encoding.UTF8.GetString(message.WrittenSpan)); }
                catch (PusherProtocolException e)
                {
                    ignored(e.Message);
                    continue;
                }
                await handle(msg).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => Cts.Dispose();

    public static string Innermost(Exception e)
    {
        var message = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException) message = inner.Message;
        return message;
    }
}
