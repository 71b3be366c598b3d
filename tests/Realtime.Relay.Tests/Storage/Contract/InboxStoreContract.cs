namespace Realtime.Relay.Tests.Storage.Contract;

/// <summary>Inboxes: seq per inbox, reading after a cursor, acknowledgement, retention and its gap, subscriptions.</summary>
public abstract class InboxStoreContract : StoreContract
{
    [Fact]
    public async Task Each_inbox_numbers_its_events_from_one_and_a_read_returns_what_follows_the_cursor_in_order()
    {
        var (a, b) = (NewPlugin(), NewPlugin());
        await Inboxes.OpenAsync(a);
        await Inboxes.OpenAsync(b);
        await Inboxes.AppendAsync([a.InboxId, b.InboxId], Event(a, "both"));
        await Inboxes.AppendAsync([a.InboxId], Event(a, "only-a"));
        await Inboxes.AppendAsync([a.InboxId], Event(a, "third"));

        Assert.Equal(["1:both", "2:only-a", "3:third"], await ReadAsync(a));
        Assert.Equal(["3:third"], await ReadAsync(a, after: 2));
        Assert.Equal(["1:both"], await ReadAsync(b));
        Assert.Equal(["1:both", "2:only-a"], (await Inboxes.ReadAfterAsync(a.InboxId, 0, 2)).Select(e => e.Seq + ":" + e.Event));
        var stored = (await Inboxes.ReadAfterAsync(b.InboxId, 0, 10)).Single();
        Assert.Equal((a.OwnChannel, "{\"n\":\"both\"}", Now), (stored.Channel, stored.Data, stored.At.ToUniversalTime()));
        Assert.Equal(3, (await Inboxes.StateOfAsync(a.InboxId))!.LastSeq);
    }

    [Fact]
    public async Task An_event_for_an_inbox_that_is_not_open_is_not_stored_and_the_open_ones_still_get_it()
    {
        var (open, never) = (NewPlugin(), NewPlugin());
        await Inboxes.OpenAsync(open);
        await Inboxes.AppendAsync([never.InboxId, open.InboxId], Event(open, "e"));
        Assert.Null(await Inboxes.StateOfAsync(never.InboxId));
        Assert.Empty(await ReadAsync(never));
        Assert.Equal(["1:e"], await ReadAsync(open));
    }

    [Fact]
    public async Task Acknowledged_events_are_forgotten_while_the_high_water_seq_stays_and_new_events_continue_from_it()
    {
        var client = NewPlugin();
        await Inboxes.OpenAsync(client);
        for (var i = 1; i <= 3; i++) await Inboxes.AppendAsync([client.InboxId], Event(client, "e" + i));
        await Inboxes.AcknowledgeAsync(client.InboxId, 2);
        Assert.Equal(["3:e3"], await ReadAsync(client));
        await Inboxes.AcknowledgeAsync(client.InboxId, 99); // past the last seq: up to the last
        Assert.Empty(await ReadAsync(client));
        var state = (await Inboxes.StateOfAsync(client.InboxId))!;
        Assert.Equal((3L, 3L, 0L), (state.LastSeq, state.AckedSeq, state.DroppedThrough));

        await Inboxes.AppendAsync([client.InboxId], Event(client, "e4"));
        Assert.Equal(["4:e4"], await ReadAsync(client));
    }

    [Fact]
    public async Task Past_the_count_limit_the_oldest_events_are_dropped_and_noted_as_a_gap_when_unacknowledged()
    {
        var client = NewPlugin();
        await Inboxes.OpenAsync(client);
        for (var i = 1; i <= MaxEventsPerInbox + 2; i++) await Inboxes.AppendAsync([client.InboxId], Event(client, "e" + i));
        Assert.Equal(Enumerable.Range(3, MaxEventsPerInbox).Select(i => i + ":e" + i), await ReadAsync(client));
        Assert.Equal(2, (await Inboxes.StateOfAsync(client.InboxId))!.DroppedThrough);
    }

    [Fact]
    public async Task The_count_limit_counts_only_unacknowledged_events()
    {
        var client = NewPlugin();
        await Inboxes.OpenAsync(client);
        for (var i = 1; i <= MaxEventsPerInbox; i++) await Inboxes.AppendAsync([client.InboxId], Event(client, "e" + i));
        await Inboxes.AcknowledgeAsync(client.InboxId, MaxEventsPerInbox);
        for (var i = 1; i <= MaxEventsPerInbox; i++) await Inboxes.AppendAsync([client.InboxId], Event(client, "f" + i));
        Assert.Equal(Enumerable.Range(1, MaxEventsPerInbox).Select(i => (MaxEventsPerInbox + i) + ":f" + i), await ReadAsync(client));
        Assert.Equal(0, (await Inboxes.StateOfAsync(client.InboxId))!.DroppedThrough);
    }

    [Fact]
    public async Task Retention_drops_events_older_than_the_retention_period_and_notes_the_gap()
    {
        var client = NewPlugin();
        await Inboxes.OpenAsync(client);
        await Inboxes.AppendAsync([client.InboxId], Event(client, "old"));
        Time.Advance(Retention + TimeSpan.FromMinutes(1));
        await Inboxes.AppendAsync([client.InboxId], Event(client, "new"));
        await Inboxes.ExpireAsync();
        Assert.Equal(["2:new"], await ReadAsync(client));
        Assert.Equal(1, (await Inboxes.StateOfAsync(client.InboxId))!.DroppedThrough);
    }

    [Fact]
    public async Task Opening_an_open_inbox_keeps_it_and_its_events()
    {
        var client = NewPlugin();
        await Inboxes.OpenAsync(client);
        await Inboxes.AppendAsync([client.InboxId], Event(client, "kept"));
        await Inboxes.OpenAsync(client);
        Assert.Equal(["1:kept"], await ReadAsync(client));
        Assert.Single((await Inboxes.AllStatesAsync()), s => s.InboxId == client.InboxId);
    }

    [Fact]
    public async Task Closing_drops_the_inbox_and_its_events_and_a_new_one_starts_again_from_seq_one()
    {
        var client = NewPlugin();
        await Inboxes.OpenAsync(client);
        await Inboxes.AppendAsync([client.InboxId], Event(client, "gone"));
        await Inboxes.CloseAsync(client);
        Assert.Null(await Inboxes.StateOfAsync(client.InboxId));
        Assert.Empty(await ReadAsync(client));
        Assert.DoesNotContain((await Inboxes.AllStatesAsync()), s => s.InboxId == client.InboxId);

        await Inboxes.OpenAsync(client);
        await Inboxes.AppendAsync([client.InboxId], Event(client, "fresh"));
        Assert.Equal(["1:fresh"], await ReadAsync(client));
    }

    [Fact]
    public async Task Subscriptions_are_stored_and_replaced_as_a_whole()
    {
        var client = NewPlugin();
        await Inboxes.OpenAsync(client);
        await Inboxes.SetSubscriptionsAsync(client.InboxId, ["roblox-a", "roblox-b"]);
        Assert.Equal(["roblox-a", "roblox-b"], (await Inboxes.StateOfAsync(client.InboxId))!.Subscriptions);
        await Inboxes.SetSubscriptionsAsync(client.InboxId, ["roblox-c"]);
        Assert.Equal(["roblox-c"], (await Inboxes.StateOfAsync(client.InboxId))!.Subscriptions);
    }

    [Fact]
    public async Task Inboxes_their_events_cursors_gaps_and_subscriptions_survive_reopening_the_store()
    {
        var (client, closed) = (NewPlugin(), NewPlugin());
        await Inboxes.OpenAsync(client);
        await Inboxes.OpenAsync(closed);
        for (var i = 1; i <= MaxEventsPerInbox + 2; i++) await Inboxes.AppendAsync([client.InboxId], Event(client, "e" + i));
        await Inboxes.AcknowledgeAsync(client.InboxId, 4);
        await Inboxes.SetSubscriptionsAsync(client.InboxId, ["roblox-sync"]);
        await Inboxes.CloseAsync(closed);

        await ReopenAsync();

        var state = (await Inboxes.StateOfAsync(client.InboxId))!;
        Assert.Equal((7L, 4L, 2L, client.Id), (state.LastSeq, state.AckedSeq, state.DroppedThrough, state.ClientId));
        Assert.Equal(["roblox-sync"], state.Subscriptions);
        Assert.Equal(["5:e5", "6:e6", "7:e7"], await ReadAsync(client));
        Assert.Null(await Inboxes.StateOfAsync(closed.InboxId));
        await Inboxes.AppendAsync([client.InboxId], Event(client, "after"));
        Assert.Equal("8:after", (await ReadAsync(client)).Last());
    }

    [Fact]
    public async Task An_append_and_a_close_wake_the_inboxs_waiting_readers()
    {
        var client = NewPlugin();
        await Inboxes.OpenAsync(client);
        var waiting = Stores.Signals.Current(client.InboxId);
        Assert.False(waiting.IsCompleted);
        await Inboxes.AppendAsync([client.InboxId], Event(client, "wake"));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        waiting = Stores.Signals.Current(client.InboxId);
        await Inboxes.CloseAsync(client);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
