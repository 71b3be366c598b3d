using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Realtime.Pusher.Rest;
using Realtime.Relay.Inbox;
using Realtime.Relay.PusherConnection;
using Realtime.Relay.Storage.LiteDb;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>
/// With LiteDB a channel's next event is queued for storage before the one before it is stored (docs/storage.md,
/// "Appends in flight"), and its events still reach the inbox in the order heard, each once. A store that holds every
/// append's completion until the test lets go shows how many of one channel's events were queued at the same time.
/// </summary>
public sealed class AppendsInFlightTests : IAsyncLifetime
{
    private SoketiServer _soketi = null!;
    private RelayFactory _relay = null!;
    private PusherRestClient _backend = null!;
    private readonly CompletionsHeld _store = new();

    public async Task InitializeAsync()
    {
        _soketi = await SoketiServer.StartAsync();
        _relay = new RelayFactory(new Dictionary<string, string?> { ["PUSHER_PORT"] = _soketi.Port.ToString() },
            services => services.AddSingleton<IInboxStore>(sp => _store.Around(sp.GetRequiredService<LiteDbInboxStore>())));
        _backend = new PusherRestClient(_soketi.PusherOptions());
    }

    [Fact]
    public async Task A_channels_events_are_queued_before_the_earlier_ones_are_stored_and_arrive_in_order_once()
    {
        var (plugin, http) = await new InboxHarness(_relay).NewClientAsync();
        await Wait.UntilAsync(() => Task.FromResult(_relay.Services.GetRequiredService<PusherFeed>().IsSubscribed(plugin.OwnChannel)),
            Patience.Step, $"the relay's subscription to {plugin.OwnChannel}");

        _store.Hold();
        await _backend.TriggerBatchAsync(Enumerable.Range(1, 10).Select(n => new BatchEvent(plugin.OwnChannel, "e" + n, $$"""{"n":{{n}}}""")).ToList());
        await Wait.UntilAsync(() => Task.FromResult(_store.Waiting >= 10), Patience.Step, "all ten appends queued while none is let complete");
        _store.Release();

        var stored = new List<JToken>();
        long next = 0;
        await Wait.UntilAsync(async () =>
        {
            var answer = await InboxHarness.PollAsync(http, plugin, after: next, wait: 5);
            stored.AddRange((JArray)answer["events"]!);
            next = (long)answer["next"]!;
            return stored.Count >= 10;
        }, Patience.Step, "the ten events in the inbox");
        Assert.Equal(Enumerable.Range(1, 10).Select(n => "e" + n), stored.Select(e => (string?)e["event"]));
        Assert.Equal(Enumerable.Range(1, 10).Select(n => (long)n), stored.Select(e => (long)e["seq"]!));
    }

    /// <summary>The LiteDB store, with every append's completion held back while <see cref="Hold"/> is on.</summary>
    private sealed class CompletionsHeld
    {
        private TaskCompletionSource _release = Released();
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Hold() => _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        public IInboxStore Around(LiteDbInboxStore inner) => new Store(this, inner);

        private static TaskCompletionSource Released()
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            done.SetResult();
            return done;
        }

        private sealed class Store(CompletionsHeld held, LiteDbInboxStore inner) : DelegatingInboxStore(inner)
        {
            public override async Task AppendAsync(IReadOnlyCollection<string> inboxIds, IncomingEvent e)
            {
                var release = held._release.Task;
                var stored = base.AppendAsync(inboxIds, e); // queued now, in call order
                Interlocked.Increment(ref held._waiting);
                try
                {
                    await stored;
                    await release;
                }
                finally { Interlocked.Decrement(ref held._waiting); }
            }
        }
    }

    public async Task DisposeAsync()
    {
        _store.Release();
        _relay.Dispose();
        _backend.Dispose();
        await _soketi.DisposeAsync();
    }
}
