namespace Realtime.Pusher.Client;

/// <summary>What the connection does after the socket closed.</summary>
public enum CloseAction
{
    /// <summary>4000–4099: the same parameters will never work (wrong key, app disabled, TLS only, unauthorized…). Stop and report.</summary>
    Stop,
    /// <summary>4100–4199 (over capacity) and ≥ 4300: reconnect with the gentle back-off.</summary>
    BackoffOverCapacity,
    /// <summary>4200–4299: the server asks for a reconnect; do it at once.</summary>
    ReconnectNow,
    /// <summary>No close code (network loss, process killed), WebSocket codes below 4000: back off.</summary>
    BackoffNetwork,
}

/// <summary>Pusher's close-code ranges (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#error-codes).</summary>
public static class PusherCloseCodes
{
    public const int SslOnly = 4000;
    public const int AppDoesNotExist = 4001;
    public const int AppDisabled = 4003;
    public const int OverConnectionQuota = 4004;
    public const int PathNotFound = 4005;
    public const int InvalidVersion = 4006;
    public const int UnsupportedProtocol = 4007;
    public const int NoProtocolVersion = 4008;
    public const int Unauthorized = 4009;
    public const int OverCapacity = 4100;
    public const int GenericReconnect = 4200;
    public const int PongNotReceived = 4201;
    public const int ClosedForInactivity = 4202;

    public static CloseAction Classify(int? closeCode) => closeCode switch
    {
        null => CloseAction.BackoffNetwork,
        >= 4000 and <= 4099 => CloseAction.Stop,
        >= 4100 and <= 4199 => CloseAction.BackoffOverCapacity,
        >= 4200 and <= 4299 => CloseAction.ReconnectNow,
        >= 4300 and <= 4999 => CloseAction.BackoffOverCapacity,
        _ => CloseAction.BackoffNetwork,
    };
}
