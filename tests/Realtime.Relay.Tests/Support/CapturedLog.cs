using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Realtime.Relay.Tests.Support;

/// <summary>Every log event the relay writes, kept for assertions (registered as a Serilog sink).</summary>
public sealed class CapturedLog : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public IReadOnlyList<string> AtLeast(LogEventLevel level) =>
        _events.Where(e => e.Level >= level).Select(e => $"{e.Level}: {e.RenderMessage()} {e.Exception?.GetType().Name}").ToList();
}
