using Realtime.Pusher;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.LiteDb;
using Realtime.Relay.Tests.Support;
using static Realtime.Relay.Tests.Support.StoreSamples;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// With LiteDB an acknowledgement deletes the events it covers in its own group but does not save the inbox's state
/// (docs/storage.md, "Acknowledgements"): what it covers stays gone after a crash, a failed group or a clean stop.
/// Real LiteDB files; a crash is the files copied while the relay still has them open.
/// </summary>
public sealed class AcknowledgementTests : IAsyncLifetime
{
    private readonly LiteDbInboxFiles _files = new("acknowledgements");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _files.DisposeAsync();

    private static async Task AppendAsync(LiteDbInboxFile file, RelayClient client, params string[] names)
    {
        foreach (var name in names) await file.Inboxes.AppendAsync([client.InboxId], Event(client, name));
    }

    private static string[] Names(int count) => Enumerable.Range(1, count).Select(n => "e" + n).ToArray();

    /// <summary>A fresh file with one open plugin inbox holding these events.</summary>
    private async Task<(LiteDbInboxFile File, RelayClient Client)> InboxWithEventsAsync(InboxOptions? options, params string[] names)
    {
        var file = await _files.OpenAsync(options: options);
        var client = NewPlugin();
        await file.Inboxes.OpenAsync(client);
        await AppendAsync(file, client, names);
        return (file, client);
    }

    private static async Task<List<string>> ReadAllAsync(LiteDbInboxFile file, RelayClient client) =>
        (await file.Inboxes.ReadAfterAsync(client.InboxId, 0, 100)).Select(e => e.Seq + ":" + e.Event).ToList();

    [Fact]
    public async Task Events_acknowledged_before_a_crash_are_not_in_the_file_after_it()
    {
        var (file, client) = await InboxWithEventsAsync(null, "e1", "e2", "e3", "e4", "e5");
        await file.Inboxes.AcknowledgeAsync(client.InboxId, 3);

        var restarted = await _files.OpenCrashCopyAsync();

        Assert.Equal(["4:e4", "5:e5"], await ReadAllAsync(restarted, client));
        Assert.Equal(2, restarted.EventsInFile());
        // The state on disk may name an older acknowledgement; the start takes the first seq from the file.
        var state = restarted.Inboxes.StateOf(client.InboxId)!;
        Assert.Equal((3L, 4L), (state.AckedSeq, state.FirstSeq));
    }

    [Fact]
    public async Task After_a_crash_retention_by_count_does_not_report_acknowledged_events_as_dropped()
    {
        var options = new InboxOptions { MaxEventsPerClient = 100 };
        var (file, client) = await InboxWithEventsAsync(options, Names(90));
        await file.Inboxes.AcknowledgeAsync(client.InboxId, 90);

        var restarted = await _files.OpenCrashCopyAsync(options);
        // The first append after the start (the restart's relay:gap is one) checks the count against the first seq kept.
        await AppendAsync(restarted, client, "after");

        var state = restarted.Inboxes.StateOf(client.InboxId)!;
        Assert.Equal(0L, state.DroppedThrough);
        Assert.Equal(1L, state.Depth());
    }

    [Fact]
    public async Task A_failed_group_after_a_crashed_start_keeps_what_the_start_found_in_the_file()
    {
        var options = new InboxOptions { MaxEventsPerClient = 50 };
        var (file, client) = await InboxWithEventsAsync(options, Names(50));
        await file.Inboxes.SetSubscriptionsAsync(client.InboxId, ["private-x"]); // the state on disk: next seq 51, first seq 1
        await file.Inboxes.AcknowledgeAsync(client.InboxId, 50); // deletes 1..50; the state is not saved

        var restarted = await _files.OpenCrashCopyAsync(options);
        // Rolled back with a bad neighbour, the subscription write reloads the inbox's state from disk.
        await StoreGroups.InAFailedGroupAsync(restarted.Writer, () => restarted.Inboxes.SetSubscriptionsAsync(client.InboxId, ["private-y"]));
        await AppendAsync(restarted, client, "after");

        var state = restarted.Inboxes.StateOf(client.InboxId)!;
        Assert.Equal((0L, 1L), (state.DroppedThrough, state.Depth()));
        Assert.Equal([LiteDbInboxStore.SeqReserveBlock + 1], (await restarted.Inboxes.ReadAfterAsync(client.InboxId, 0, 100)).Select(e => e.Seq));
    }

    [Fact]
    public async Task A_crash_after_a_clean_restart_with_acknowledgements_and_no_append_is_recovered_too()
    {
        var options = new InboxOptions { MaxEventsPerClient = 50 };
        var (first, client) = await InboxWithEventsAsync(options, Names(50));
        await _files.CloseAsync(first); // a clean stop gives the reservation back: the state on disk looks clean

        var second = await _files.OpenAsync(options: options);
        await second.Inboxes.AcknowledgeAsync(client.InboxId, 50); // the client's next poll, before any append

        var restarted = await _files.OpenCrashCopyAsync(options);
        await AppendAsync(restarted, client, "after");

        var state = restarted.Inboxes.StateOf(client.InboxId)!;
        Assert.Equal((0L, 1L), (state.DroppedThrough, state.Depth()));
    }

    [Fact]
    public async Task A_failed_group_that_reloads_an_inbox_from_disk_keeps_its_committed_acknowledgement()
    {
        var (file, client) = await InboxWithEventsAsync(null, "e1", "e2", "e3");
        await file.Inboxes.AcknowledgeAsync(client.InboxId, 2);

        // Rolled back with its neighbour, the subscription write reloads the inbox's state from disk.
        await StoreGroups.InAFailedGroupAsync(file.Writer, () => file.Inboxes.SetSubscriptionsAsync(client.InboxId, ["private-other"]));

        var state = file.Inboxes.StateOf(client.InboxId)!;
        Assert.Equal((2L, 3L, 1L), (state.AckedSeq, state.FirstSeq, state.Depth()));
        Assert.Equal(["private-other"], state.Subscriptions);
        Assert.Equal(["3:e3"], await ReadAllAsync(file, client));
    }

    [Fact]
    public async Task An_inbox_closed_and_opened_again_in_one_group_does_not_take_the_old_ones_acknowledgement_after_a_failed_group()
    {
        var (file, client) = await InboxWithEventsAsync(null, "old1", "old2");
        await file.Inboxes.AcknowledgeAsync(client.InboxId, 2);
        await file.CloseAndOpenAgainAsync(client);
        await AppendAsync(file, client, "new1", "new2");

        await StoreGroups.InAFailedGroupAsync(file.Writer, () => file.Inboxes.SetSubscriptionsAsync(client.InboxId, ["private-other"]));

        Assert.Equal(0L, file.Inboxes.StateOf(client.InboxId)!.AckedSeq);
        Assert.Equal(["1:new1", "2:new2"], await ReadAllAsync(file, client));
    }

    [Fact]
    public async Task A_clean_stop_saves_an_acknowledgement_even_when_nothing_else_of_the_inbox_changed()
    {
        var (file, client) = await InboxWithEventsAsync(null, "e1", "e2", "e3");
        await _files.CloseAsync(file); // gives the reservation back: the next stop has no reservation of it to save

        var second = await _files.OpenAsync();
        await second.Inboxes.AcknowledgeAsync(client.InboxId, 2);
        await _files.CloseAsync(second);

        var third = await _files.OpenAsync();
        var state = third.Inboxes.StateOf(client.InboxId)!;
        Assert.Equal((2L, 3L, 1L), (state.AckedSeq, state.FirstSeq, state.Depth()));
        Assert.Equal(["3:e3"], await ReadAllAsync(third, client));
    }
}
