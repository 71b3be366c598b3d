using Realtime.Pusher.Rest;
using Realtime.Relay.Meta;

namespace Realtime.Relay.PusherConnection;

/// <summary>
/// Ready when Pusher's REST API answers a signed request: proves host, port, app id, key
/// and secret together. The answer is cached briefly so probes do not become Pusher traffic.
/// </summary>
public sealed class PusherReadinessCheck(PusherRestClient rest, TimeProvider clock) : IReadinessCheck
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private (DateTimeOffset At, ReadinessResult Result)? _last;

    public string Name => "pusher";

    public async Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        if (_last is { } last && clock.GetUtcNow() - last.At < CacheFor) return last.Result;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        ReadinessResult result;
        try
        {
            await rest.GetChannelsAsync(filterByPrefix: "presence-game-", cancellationToken: timeout.Token);
            result = ReadinessResult.Ok($"REST API at {rest.Options.RestBaseUri} answers");
        }
        catch (PusherApiException e)
        {
            result = ReadinessResult.NotReady(e.Message);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            result = ReadinessResult.NotReady($"REST API at {rest.Options.RestBaseUri} does not answer: {e.Message}");
        }
        _last = (clock.GetUtcNow(), result);
        return result;
    }
}
