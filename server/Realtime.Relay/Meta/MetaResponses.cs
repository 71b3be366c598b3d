namespace Realtime.Relay.Meta;

/// <summary><c>GET /healthz</c>: the process is up.</summary>
public sealed record Health(string Status);

/// <summary>One readiness check's answer.</summary>
public sealed record ReadinessCheckResult(bool Ready, string? Detail);

/// <summary><c>GET /readyz</c>: <c>ready</c> (200) or <c>not_ready</c> (503, with <c>code</c>), and each check's answer.</summary>
public sealed record Readiness(string Status, string? Code, IReadOnlyDictionary<string, ReadinessCheckResult> Checks);

/// <summary>Where clients reach Pusher (pusher-js options): key, cluster, host, port, forceTLS.</summary>
public sealed record PusherInfo(bool Enabled, string Key, string? Cluster, string Host, int Port,
    [property: Newtonsoft.Json.JsonProperty("forceTLS")] [property: System.Text.Json.Serialization.JsonPropertyName("forceTLS")] bool ForceTls);

/// <summary>
/// <c>GET /api/v1/info</c>: the relay's version, the HTTP API's <c>protocolVersion</c>, which node
/// answered (<c>nodeId</c>) and its storage engine (<c>store</c>: <c>litedb</c> or <c>redis</c>).
/// </summary>
public sealed record RelayInfo(string Version, int ProtocolVersion, string NodeId, string Store, PusherInfo Pusher);
