using System.Net;
using System.Text;
using System.Web;
using Realtime.Pusher.Auth;
using Realtime.Testing;

namespace Realtime.Pusher.Tests.Support;

/// <summary>
/// A minimal backend auth endpoint built on <see cref="PusherAuthorizer"/>, so pusher-js can
/// subscribe to private/presence channels and sign in against a real soketi without the relay.
/// POST /pusher/auth (form: socket_id, channel_name) and POST /pusher/user-auth (form: socket_id).
/// Channels containing "forbidden" are refused with 403, as a real policy would.
/// </summary>
public sealed class LocalAuthEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly PusherAuthorizer _authorizer;
    private readonly Task _loop;

    public LocalAuthEndpoint(PusherAuthorizer authorizer, string userId, object? userInfo)
    {
        _authorizer = authorizer;
        UserId = userId;
        UserInfo = userInfo;
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string UserId { get; }
    public object? UserInfo { get; }
    public string AuthUrl => $"http://127.0.0.1:{Port}/pusher/auth";
    public string UserAuthUrl => $"http://127.0.0.1:{Port}/pusher/user-auth";

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            try { await HandleAsync(ctx); }
            catch (Exception e) { await AnswerAsync(ctx, 500, "{\"error\":" + Json.JsJson.Quote(e.Message) + "}"); }
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
        var form = HttpUtility.ParseQueryString(await reader.ReadToEndAsync());
        var socketId = form["socket_id"] ?? "";
        var channel = form["channel_name"] ?? "";
        switch (ctx.Request.Url!.AbsolutePath)
        {
            case "/pusher/auth" when channel.Contains("forbidden"):
                await AnswerAsync(ctx, 403, "{\"error\":\"forbidden\"}");
                break;
            case "/pusher/auth" when channel.StartsWith("presence-"):
                await AnswerAsync(ctx, 200, _authorizer.AuthorizePresenceChannel(socketId, channel, UserId, UserInfo).ToJson());
                break;
            case "/pusher/auth":
                await AnswerAsync(ctx, 200, _authorizer.AuthorizePrivateChannel(socketId, channel).ToJson());
                break;
            case "/pusher/user-auth":
                await AnswerAsync(ctx, 200, _authorizer.AuthenticateUser(socketId, new PusherUser { Id = UserId, UserInfo = UserInfo }).ToJson());
                break;
            default:
                await AnswerAsync(ctx, 404, "{}");
                break;
        }
    }

    private static async Task AnswerAsync(HttpListenerContext ctx, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength64 = bytes.Length;
        await ctx.Response.OutputStream.WriteAsync(bytes);
        ctx.Response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try { await _loop; } catch { }
    }
}
