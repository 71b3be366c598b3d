using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// Bodies over 64 KB are refused with 413 (docs/api.md, "Conventions"). Kestrel is set for tens of
/// thousands of held long-polls (docs/performance.md): no cap on connections (each held poll over HTTP/1.1 is one; the open files limit is the cap),
/// and a listen backlog deep enough for every game server re-polling at once after a restart.
/// The socket transport continues a read or a send on the thread it completed on instead of queueing it
/// once more: one event answers every held poll and each re-polls at once, and on two cores those extra
/// thread-pool hops were a good part of that burst. Socket completions still come on thread-pool threads,
/// never on the epoll thread (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS stays off), so the relay's own
/// code runs where it ran before.
/// </summary>
public static class RequestLimits
{
    public const long MaxBodyBytes = 64 * 1024;

    /// <summary>Connections waiting to be accepted; Linux caps it at net.core.somaxconn (4096 by default).</summary>
    public const int ListenBacklog = 4096;

    public static IWebHostBuilder UseRelayRequestLimits(this IWebHostBuilder web) => web
        .ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBodyBytes) // connections: uncapped (Kestrel's default)
        .ConfigureServices(services => services.Configure<SocketTransportOptions>(o =>
        {
            o.Backlog = ListenBacklog;
            o.UnsafePreferInlineScheduling = true;
        }));

    /// <summary>
    /// Refuses a declared over-size body before anything reads it. Chunked bodies with no
    /// length are cut off by Kestrel's limit while being read (mapped to 413 by the error handler).
    /// </summary>
    public static IApplicationBuilder UseBodySizeLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            await Problems.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
                $"The request body is larger than {MaxBodyBytes / 1024} KB.");
            return;
        }
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = MaxBodyBytes;
        await next();
    });
}
