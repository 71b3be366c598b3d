using System.Net;
using System.Text;

namespace Realtime.Testing;

/// <summary>
/// A tiny authorization endpoint for pusher-js in tests (what a backend's /pusher/auth does):
/// POST form <c>socket_id</c>, <c>channel_name</c> to <see cref="Url"/> → the JSON body the channel
/// signer returns (<c>{"auth":…,"channel_data"?:…}</c>), or 403 when it returns null; POST
/// <c>socket_id</c> to <see cref="UserAuthUrl"/> → the user signer's <c>{"auth","user_data"}</c>.
/// </summary>
public sealed class LocalAuthEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, string, string?> _sign;
    private readonly Func<string, string?>? _signUser;
    private readonly Task _loop;

    /// <param name="sign">(socketId, channelName) → JSON body, or null to refuse.</param>
    /// <param name="signUser">socketId → JSON body for pusher:signin, or null to refuse.</param>
    public LocalAuthEndpoint(Func<string, string, string?> sign, Func<string, string?>? signUser = null)
    {
        _sign = sign;
        _signUser = signUser;
        var port = FreePort.Next();
        Url = $"http://127.0.0.1:{port}/pusher/auth";
        UserAuthUrl = $"http://127.0.0.1:{port}/pusher/user-auth";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }
    public string UserAuthUrl { get; }

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
            var answer = ctx.Request.Url!.AbsolutePath.EndsWith("/user-auth") ? _signUser?.Invoke(socketId) : _sign(socketId, channel);
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
