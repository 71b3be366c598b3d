using System.Threading.Channels;

namespace Realtime.Pusher.Client;

/// <summary>
/// One subscription's event buffer. Writing never blocks and never fails: when the buffer holds
/// <c>capacity</c> events, the oldest one is dropped, and the reader gets a
/// <see cref="GapReason.BufferOverflow"/> marker where the dropped events were. Read it as a
/// <see cref="ChannelReader{T}"/> (<c>ReadAllAsync</c>, <c>WaitToReadAsync</c>/<c>TryRead</c>).
/// </summary>
internal sealed class DropOldestEventBuffer : ChannelReader<PusherEvent>
{
    private readonly object _lock = new();
    private readonly Queue<PusherEvent> _queue = new();
    private readonly int _capacity;
    private readonly string _channel;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool>? _waiter;
    private long _droppedSinceMarker;
    private long _droppedTotal;
    private bool _completed;

    public DropOldestEventBuffer(string channel, int capacity, TimeProvider time)
    {
        _channel = channel;
        _capacity = capacity;
        _time = time;
    }

    public long DroppedTotal => Interlocked.Read(ref _droppedTotal);

    public override bool CanCount => true;

    public override int Count
    {
        get { lock (_lock) return _queue.Count + (_droppedSinceMarker > 0 ? 1 : 0); }
    }

    public override Task Completion => _completion.Task;

    /// <summary>Adds an event (dropping the oldest when full). False once completed.</summary>
    public bool Write(PusherEvent item)
    {
        TaskCompletionSource<bool>? wake;
        lock (_lock)
        {
            if (_completed) return false;
            if (_queue.Count >= _capacity)
            {
                _queue.Dequeue();
                _droppedSinceMarker++;
                Interlocked.Increment(ref _droppedTotal);
            }
            _queue.Enqueue(item);
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult(true);
        return true;
    }

    /// <summary>No more events: the reader drains what is buffered, then ends.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? wake;
        bool empty;
        lock (_lock)
        {
            if (_completed) return;
            _completed = true;
            wake = _waiter;
            _waiter = null;
            empty = _queue.Count == 0 && _droppedSinceMarker == 0;
        }
        wake?.TrySetResult(false);
        if (empty) _completion.TrySetResult();
    }

    public override bool TryRead(out PusherEvent item)
    {
        bool finished;
        lock (_lock)
        {
            if (_droppedSinceMarker > 0)
            {
                item = new PusherEvent
                {
                    Kind = PusherEventKind.Gap,
                    Channel = _channel,
                    Event = PusherEvent.GapEventName,
                    GapReason = GapReason.BufferOverflow,
                    DroppedEvents = _droppedSinceMarker,
                    ReceivedAt = _time.GetUtcNow(),
                };
                _droppedSinceMarker = 0;
                return true;
            }
            if (_queue.TryDequeue(out item!))
            {
                finished = _completed && _queue.Count == 0;
                if (finished) _completion.TrySetResult();
                return true;
            }
            item = null!;
            return false;
        }
    }

    public override bool TryPeek(out PusherEvent item)
    {
        lock (_lock)
        {
            if (_droppedSinceMarker > 0 || !_queue.TryPeek(out item!)) { item = null!; return false; }
            return true;
        }
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<bool>(cancellationToken);
        Task<bool> wait;
        lock (_lock)
        {
            if (_queue.Count > 0 || _droppedSinceMarker > 0) return new ValueTask<bool>(true);
            if (_completed) return new ValueTask<bool>(false);
            _waiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _waiter.Task;
        }
        return cancellationToken.CanBeCanceled ? new ValueTask<bool>(wait.WaitAsync(cancellationToken)) : new ValueTask<bool>(wait);
    }
}
