namespace Realtime.Relay.Meta;

/// <summary>
/// Logs readiness changes, not probes: one warning when a check starts failing (with its
/// detail), one line when it recovers. Orchestrators probe every few seconds; a log line per
/// probe would bury everything else, and a not-ready dependency is not an error of the relay.
/// </summary>
public sealed class ReadinessLog(ILogger<ReadinessLog> log)
{
    private readonly Dictionary<string, bool> _last = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Record(string check, ReadinessResult result)
    {
        lock (_gate)
        {
            var known = _last.TryGetValue(check, out var wasReady);
            _last[check] = result.Ready;
            if (!result.Ready && (!known || wasReady))
                log.LogWarning("Not ready: {Check}: {Detail}", check, result.Detail);
            else if (result.Ready && known && !wasReady)
                log.LogInformation("Ready again: {Check}", check);
        }
    }
}
