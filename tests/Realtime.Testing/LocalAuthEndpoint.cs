using System.Net;
using System.Text;

namespace Realtime.Testing;

/// <summary>
/// A tiny channel-authorization endpoint for pusher-js in tests (what a backend's /pusher/auth does):
/// POST form <c>socket_id</c>, <c>channel_name</c> → the JSON body <paramref name="sign"/> returns
/// (<c>{"auth":…,"channel_data"?:…}</c>), or 403 when it returns null. Serves <see cref="Url"/>.
/// </summary>
public sealed class LocalAuthEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, string, string?> _sign;
    private readonly Task _loop;

    /// <param name="sign">(socketId, channelName) → JSON body, or null to refuse.</param>
    public LocalAuthEndpoint(Func<string, string, string?> sign)
    {
        _sign = sign;
        var port = FreePort.Next();
        Url = $"http://127.0.0.1:{port}/pusher/auth";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    /// <summary>How many authorization requests were answered.</summary>
    public int Requests => Volatile.Read(ref _requests);
    private int _requests;

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Handle(ctx));
        }
    }

    private void Handle(HttpListenerContext ctx)
    {
        try
        {
            Interlocked.Increment(ref _requests);
            ctx.Response.AddHeader("Access-Control-Allow-Origin", "*");
            string body;
            using (var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8)) body = reader.ReadToEnd();
            var form = System.Web.HttpUtility.ParseQueryString(body);
            var socketId = form["socket_id"] ?? "";
            var channel = form["channel_name"] ?? "";
            var answer = _sign(socketId, channel);
            ctx.Response.StatusCode = answer is null ? 403 : 200;
            ctx.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(answer ?? "{\"error\":\"forbidden\"}");
            ctx.Response.OutputStream.Write(bytes);
        }
        catch (Exception)
        {
            ctx.Response.StatusCode = 500;
        }
        finally
        {
            try { ctx.Response.Close(); } catch (Exception) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { _listener.Stop(); _listener.Close(); } catch (Exception) { }
        try { await _loop; } catch (Exception) { }
    }
}
