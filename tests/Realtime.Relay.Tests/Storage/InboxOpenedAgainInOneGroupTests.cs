using Realtime.Pusher;
using Realtime.Relay.Clients;
using Realtime.Relay.Inbox;
using Realtime.Relay.Storage;
using Realtime.Relay.Storage.LiteDb;
using Realtime.Relay.Tests.Support;
using static Realtime.Relay.Tests.Support.StoreSamples;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// With LiteDB, one write may close an inbox and open it again under the same id (a game server registering again
/// under its job id). What the store remembers of the old inbox for the group's commit or a later rollback — its
/// state's save, its committed and handed-out seqs, its reservation on disk — must not reach the new one. Real LiteDB files; a crash is the
/// files copied while the relay still has them open.
/// </summary>
public sealed class InboxOpenedAgainInOneGroupTests : IAsyncLifetime
{
    private readonly LiteDbInboxFiles _files = new("reopened-inbox");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _files.DisposeAsync();

    [Fact]
    public async Task The_old_inboxs_state_saved_in_that_group_does_not_overwrite_the_new_one()
    {
        var file = await _files.OpenAsync();
        var client = NewPlugin();
        await file.Inboxes.OpenAsync(client);
        await Task.WhenAll(Enumerable.Range(1, (int)(LiteDbInboxStore.SeqReserveBlock / 2)).Select(n => file.Inboxes.AppendAsync([client.InboxId], Event(client, "old" + n))));
        await StoreGroups.InOneGroupAsync(file.Writer, () =>
        [
            file.Inboxes.AppendAsync([client.InboxId], Event(client, "old-last")), // renews the reservation: saves the state at the group's end
            file.CloseAndOpenAgainAsync(client),
        ]);
        await file.Inboxes.AppendAsync([client.InboxId], Event(client, "new1"));

        // A crash: the new inbox's state on disk must be its own (its number, its seqs).
        var restarted = await _files.OpenCrashCopyAsync();

        Assert.Equal(["new1"], (await restarted.Inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => e.Event));
    }

    [Fact]
    public async Task Failed_groups_after_it_do_not_give_the_new_inbox_the_old_ones_next_seq()
    {
        var file = await _files.OpenAsync();
        var client = NewPlugin();
        await file.Inboxes.OpenAsync(client);
        for (var n = 1; n <= 5; n++) await file.Inboxes.AppendAsync([client.InboxId], Event(client, "old" + n));
        await file.CloseAndOpenAgainAsync(client);

        await ReloadInAFailedGroupAsync(file, client); // before the new inbox has an event of its own
        await file.Inboxes.AppendAsync([client.InboxId], Event(client, "new1"));
        await ReloadInAFailedGroupAsync(file, client); // after it has one
        await file.Inboxes.AppendAsync([client.InboxId], Event(client, "new2"));

        Assert.Equal([(1L, "new1"), (2L, "new2")], (await file.Inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => (e.Seq, e.Event)));
    }

    [Fact]
    public async Task An_event_for_the_new_inbox_in_that_group_reaches_readers_only_once_the_new_inbox_is_on_disk()
    {
        var file = await _files.OpenAsync();
        var client = NewPlugin();
        await file.Inboxes.OpenAsync(client);
        await file.Inboxes.AppendAsync([client.InboxId], Event(client, "old1"));

        using var group = await StoreGroups.RunUncommittedAsync(file.Writer, () =>
        [
            file.CloseAndOpenAgainAsync(client),
            file.Inboxes.AppendAsync([client.InboxId], Event(client, "new1")),
        ]);
        // Early hand-out is for seqs reserved on disk (docs/storage.md, "Early hand-out"). The old inbox's reservation
        // is on disk, the new one's is not: a crash now brings the old inbox back, so none of the new one's seqs may be out.
        Assert.Empty(await file.Inboxes.ReadAfterAsync(client.InboxId, 0, 10));
        var crashed = await _files.OpenCrashCopyAsync();
        Assert.Equal(["old1"], (await crashed.Inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => e.Event));

        await group.CommitAsync();
        Assert.Equal([(1L, "new1")], (await file.Inboxes.ReadAfterAsync(client.InboxId, 0, 10)).Select(e => (e.Seq, e.Event)));
    }

    /// <summary>A subscription write rolled back with a bad neighbour: it reloads the inbox's state from disk.</summary>
    private static Task ReloadInAFailedGroupAsync(LiteDbInboxFile file, RelayClient client) =>
        StoreGroups.InAFailedGroupAsync(file.Writer, () => file.Inboxes.SetSubscriptionsAsync(client.InboxId, ["private-other"]));
}
