using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Realtime.Relay.Configuration;
using Realtime.Relay.Infrastructure;

namespace Realtime.Relay.Meta;

/// <summary>Liveness, readiness and what a client needs to know before it talks to the relay.</summary>
[ApiController]
public sealed class MetaController(IEnumerable<IReadinessCheck> checks, PusherSettings pusherSettings, StoreSettings storeSettings, ReadinessLog readinessLog) : ControllerBase
{
    /// <summary>The relay's HTTP API version; clients refuse to run against another.</summary>
    public const int ProtocolVersion = 1;

    public static readonly string Version =
        typeof(MetaController).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    [HttpGet("/healthz")]
    [ProducesResponseType<Health>(StatusCodes.Status200OK)]
    public Health Health() => new("ok");

    /// <summary>200 when every check is ready; 503 with the same shape (and <c>code</c>) otherwise.</summary>
    [HttpGet("/readyz")]
    [ProducesResponseType<Readiness>(StatusCodes.Status200OK)]
    [ProducesResponseType<Readiness>(StatusCodes.Status503ServiceUnavailable)]
    public async Task<IActionResult> Ready(CancellationToken ct)
    {
        var results = new Dictionary<string, ReadinessCheckResult>();
        var ready = true;
        foreach (var check in checks)
        {
            ReadinessResult result;
            try { result = await check.CheckAsync(ct); }
            catch (Exception e) when (e is not OperationCanceledException) { result = ReadinessResult.NotReady(e.Message); }
            readinessLog.Record(check.Name, result);
            ready &= result.Ready;
            results[check.Name] = new ReadinessCheckResult(result.Ready, result.Detail);
        }
        var body = new Readiness(ready ? "ready" : "not_ready", ready ? null : ErrorCodes.NotReady, results);
        return StatusCode(ready ? 200 : 503, body);
    }

    [HttpGet("/api/v1/info")]
    [ProducesResponseType<RelayInfo>(StatusCodes.Status200OK)]
    public RelayInfo Info()
    {
        var pusher = pusherSettings.Options;
        return new RelayInfo(Version, ProtocolVersion, storeSettings.Node, storeSettings.Engine, new PusherInfo(pusherSettings.IsEnabled, pusher.Key, pusher.Cluster,
            pusher.WebSocketHost, pusher.Port ?? (pusher.UseTls ? 443 : 80), pusher.UseTls));
    }
}
