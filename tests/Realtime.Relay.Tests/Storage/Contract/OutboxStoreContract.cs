using Realtime.Relay.Publishing;

namespace Realtime.Relay.Tests.Storage.Contract;

/// <summary>The outbox: acceptance order, idempotency keys, completion with delivery, rejection.</summary>
public abstract class OutboxStoreContract : StoreContract
{
    private static OutboxEntry Entry(string name, string sender = "plugin:p1") =>
        new() { Channel = "roblox-sync", Event = name, Data = "{}", SenderInboxId = sender };

    private async Task<List<string>> PendingNamesAsync() => (await Stores.Outbox.OldestAsync(100)).Select(e => e.Event).ToList();

    [Fact]
    public async Task Accepted_entries_come_back_oldest_first_with_growing_ids_and_the_acceptance_time()
    {
        Assert.Equal(2, await Stores.Outbox.AcceptAsync([(Entry("a"), null), (Entry("b"), null)], Now));
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Stores.Outbox.AcceptAsync([(Entry("c"), null)], Now));

        var pending = await Stores.Outbox.OldestAsync(10);
        Assert.Equal(["a", "b", "c"], pending.Select(e => e.Event));
        Assert.True(pending[0].Id < pending[1].Id && pending[1].Id < pending[2].Id);
        Assert.Equal(Now, pending[2].AcceptedAt.ToUniversalTime());
        Assert.Equal(["a", "b"], (await Stores.Outbox.OldestAsync(2)).Select(e => e.Event));
        Assert.Equal(3, await Stores.Outbox.CountAsync());
    }

    [Fact]
    public async Task An_idempotency_key_is_accepted_once_even_twice_in_one_batch()
    {
        Assert.Equal(2, await Stores.Outbox.AcceptAsync([(Entry("a"), "plugin:p1/k1"), (Entry("a-again"), "plugin:p1/k1"), (Entry("b"), "plugin:p1/k2")], Now));
        Assert.Equal(0, await Stores.Outbox.AcceptAsync([(Entry("a-retry"), "plugin:p1/k1")], Now));
        Assert.Equal(1, await Stores.Outbox.AcceptAsync([(Entry("other-sender"), "plugin:p2/k1")], Now));
        Assert.Equal(["a", "b", "other-sender"], await PendingNamesAsync());
    }

    [Fact]
    public async Task Forgotten_keys_may_be_used_again_and_newer_ones_are_kept()
    {
        await Stores.Outbox.AcceptAsync([(Entry("old"), "k-old")], Now);
        Time.Advance(TimeSpan.FromHours(2));
        await Stores.Outbox.AcceptAsync([(Entry("new"), "k-new")], Now);
        Assert.Equal(1, await Stores.Outbox.ForgetKeysAsync(Now - TimeSpan.FromHours(1)));
        Assert.Equal(1, await Stores.Outbox.AcceptAsync([(Entry("old-again"), "k-old"), (Entry("new-again"), "k-new")], Now));
        Assert.Equal(["old", "new", "old-again"], await PendingNamesAsync());
    }

    [Fact]
    public async Task Completing_forgets_the_entries_and_delivers_each_to_its_listeners_once()
    {
        var listener = NewPlugin();
        await Inboxes.OpenAsync(listener);
        await Stores.Outbox.AcceptAsync([(Entry("heard"), null), (Entry("unheard"), null), (Entry("left"), null)], Now);
        var pending = await Stores.Outbox.OldestAsync(10);
        OutboxDelivery[] published = [new(pending[0], [listener.InboxId]), new(pending[1], [])];

        await Stores.Outbox.CompleteAsync(published);
        await Stores.Outbox.CompleteAsync(published); // a retry after an unclear answer

        Assert.Equal(["left"], await PendingNamesAsync());
        var delivered = Assert.Single((await Inboxes.ReadAfterAsync(listener.InboxId, 0, 10)));
        Assert.Equal(("roblox-sync", "heard", 1L), (delivered.Channel, delivered.Event, delivered.Seq));
    }

    [Fact]
    public async Task A_rejected_entry_is_forgotten_and_the_rest_keep_their_order()
    {
        await Stores.Outbox.AcceptAsync([(Entry("a"), null), (Entry("refused"), null), (Entry("c"), null)], Now);
        await Stores.Outbox.RejectAsync((await Stores.Outbox.OldestAsync(10))[1].Id);
        Assert.Equal(["a", "c"], await PendingNamesAsync());
        Assert.Equal(2, await Stores.Outbox.CountAsync());
    }

    [Fact]
    public async Task The_oldest_entries_except_some_senders_keep_acceptance_order_and_skip_only_those_senders()
    {
        // Other relay nodes hold the claims of the senders left out (docs/cluster.md, "Outbox").
        await Stores.Outbox.AcceptAsync([(Entry("x1", "plugin:x"), null), (Entry("y1", "plugin:y"), null), (Entry("z1", "plugin:z"), null)], Now);
        await Stores.Outbox.AcceptAsync([(Entry("x2", "plugin:x"), null), (Entry("y2", "plugin:y"), null)], Now);

        Assert.Equal(["y1", "z1", "y2"], (await Stores.Outbox.OldestAsync(10, new HashSet<string> { "plugin:x" })).Select(e => e.Event));
        Assert.Equal(["z1"], (await Stores.Outbox.OldestAsync(1, new HashSet<string> { "plugin:x", "plugin:y" })).Select(e => e.Event));
        Assert.Equal(["x1", "y1"], (await Stores.Outbox.OldestAsync(2, new HashSet<string>())).Select(e => e.Event));
    }
}
