using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Realtime.Pusher.Client;

/// <summary>
/// Runs the owner's event handlers one at a time, in order, on a task of their own — never on the
/// socket reader, so a slow or throwing handler cannot stall or break the connection.
/// </summary>
internal sealed class Notifier
{
    private readonly Channel<Action> _queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;
    private readonly Task _pump;

    public Notifier(ILogger logger)
    {
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    public void Post(Action action) => _queue.Writer.TryWrite(action);

    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
    }

    private async Task PumpAsync()
    {
        await foreach (var action in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try { action(); }
            catch (Exception e) { _logger.LogError(e, "A Pusher connection event handler threw"); }
        }
    }
}
