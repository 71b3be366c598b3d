using System.Net;
using System.Text;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Browser;

/// <summary>
/// A tiny static web site on its own loopback port: another origin than the relay, as a
/// platform dashboard is. Serves the test dashboard page and pusher-js from node_modules.
/// </summary>
public sealed class LoopbackSite : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    public LoopbackSite()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add(Origin + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }
    public string Origin => $"http://127.0.0.1:{Port}";

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try
            {
                var (type, body) = context.Request.Url!.AbsolutePath switch
                {
                    "/dashboard.html" => ("text/html; charset=utf-8", Encoding.UTF8.GetBytes(DashboardPage.Html)),
                    "/pusher.min.js" => ("text/javascript", await File.ReadAllBytesAsync(
                        Path.Combine(RepoPaths.Root, "node_modules", "pusher-js", "dist", "web", "pusher.min.js"))),
                    _ => ((string?)null, Array.Empty<byte>()),
                };
                context.Response.StatusCode = type is null ? 404 : 200;
                if (type is not null) context.Response.ContentType = type;
                await context.Response.OutputStream.WriteAsync(body);
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}

/// <summary>
/// A dashboard as a platform would write it: pusher-js with the relay's auth endpoint and the
/// platform JWT in the auth headers, showing the Roblox players of presence-game-&lt;id&gt;.
/// Settings come in the URL fragment. It also reads /api/v1/info across origins.
/// </summary>
public static class DashboardPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Test dashboard</title>
        <script src="/pusher.min.js"></script></head>
        <body>
        <h1>Test dashboard</h1>
        <p id="info">info: pending</p>
        <p id="state">subscribing</p>
        <ul id="players"></ul>
        <script>
        const s = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
        fetch(s.relay + "/api/v1/info").then(r => r.json())
          .then(i => { document.getElementById("info").textContent = "info: version " + i.version; })
          .catch(e => { document.getElementById("info").textContent = "info: failed " + e.name; });
        const auth = { headers: { Authorization: "Bearer " + s.token } };
        const pusher = new Pusher(s.key, {
          cluster: "mt1", wsHost: s.host, wsPort: Number(s.port), forceTLS: false, enabledTransports: ["ws"],
          channelAuthorization: { endpoint: s.relay + "/api/v1/pusher/auth", transport: "ajax", ...auth },
          userAuthentication: { endpoint: s.relay + "/api/v1/pusher/user-auth", transport: "ajax", ...auth },
        });
        const channel = pusher.subscribe(s.channel);
        const render = () => {
          const items = [];
          channel.members.each(m => {
            if (m.info && m.info.kind === "roblox-player") {
              const li = document.createElement("li");
              li.dataset.member = m.id;
              li.textContent = m.info.displayName + " (@" + m.info.name + ") on " + m.info.jobId;
              items.push(li);
            }
          });
          document.getElementById("players").replaceChildren(...items);
        };
        channel.bind("pusher:subscription_succeeded", () => { document.getElementById("state").textContent = "subscribed"; render(); });
        channel.bind("pusher:member_added", render);
        channel.bind("pusher:member_removed", render);
        channel.bind("pusher:subscription_error", e => {
          document.getElementById("state").textContent = "auth failed: status " + e.status;
        });
        </script>
        </body></html>
        """;
}
