using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Realtime.Relay.Configuration;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Meta;

/// <summary>Liveness, readiness and what a client needs to know before it talks to the relay.</summary>
[ApiController]
public sealed class MetaController(IEnumerable<IReadinessCheck> checks, PusherSettings pusherSettings, ReadinessLog readinessLog) : ControllerBase
{
    /// <summary>The relay's HTTP API version; clients refuse to run against another.</summary>
    public const int ProtocolVersion = 1;

    public static readonly string Version =
        typeof(MetaController).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    [HttpGet("/healthz")]
    public IActionResult Health() => Ok(new { status = "ok" });

    [HttpGet("/readyz")]
    public async Task<IActionResult> Ready(CancellationToken ct)
    {
        var results = new Dictionary<string, object>();
        var ready = true;
        foreach (var check in checks)
        {
            ReadinessResult result;
            try { result = await check.CheckAsync(ct); }
            catch (Exception e) when (e is not OperationCanceledException) { result = ReadinessResult.NotReady(e.Message); }
            readinessLog.Record(check.Name, result);
            ready &= result.Ready;
            results[check.Name] = new { ready = result.Ready, detail = result.Detail };
        }
        var body = new { status = ready ? "ready" : "not_ready", code = ready ? null : ErrorCodes.NotReady, checks = results };
        return StatusCode(ready ? 200 : 503, body);
    }

    [HttpGet("/api/v1/info")]
    public IActionResult Info()
    {
        var pusher = pusherSettings.Options;
        return Ok(new
        {
            version = Version,
            protocolVersion = ProtocolVersion,
            pusher = new
            {
                enabled = pusherSettings.IsEnabled,
                key = pusher.Key,
                cluster = pusher.Cluster,
                host = pusher.WebSocketHost,
                port = pusher.Port ?? (pusher.UseTls ? 443 : 80),
                forceTLS = pusher.UseTls,
            },
        });
    }
}
