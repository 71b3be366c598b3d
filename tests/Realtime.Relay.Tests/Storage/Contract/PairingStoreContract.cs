using Realtime.Relay.Clients;
using Realtime.Relay.Pairing;
using Realtime.Relay.Plugins;

namespace Realtime.Relay.Tests.Storage.Contract;

/// <summary>Pairings and the plugins they create: admission, compare-and-set, the one exchange, removal.</summary>
public abstract class PairingStoreContract : StoreContract
{
    private Task<RelayClient?> ClientOf(string token) => Stores.Credentials.FindAsync(ClientTokens.Hash(token));

    [Fact]
    public async Task A_pending_pairing_is_found_by_its_device_code_hash_and_by_its_user_code()
    {
        var pairing = await AddPairingAsync("ABCDEFGH");
        Assert.Equal("ABCDEFGH", (await Stores.Pairings.FindByDeviceCodeAsync(pairing.DeviceCodeHash))!.UserCode);
        Assert.Equal(pairing.DeviceCodeHash, (await Stores.Pairings.NewestWithUserCodeAsync("ABCDEFGH"))!.DeviceCodeHash);
        Assert.Null(await Stores.Pairings.NewestWithUserCodeAsync("abcdefgh"));
        Assert.Equal(1, await Stores.Pairings.CountPendingAsync(Now));
    }

    [Fact]
    public async Task A_user_code_in_use_is_refused_and_nothing_is_added()
    {
        await AddPairingAsync("ABCDEFGH");
        var twin = new PairingRecord { DeviceCodeHash = "other", UserCode = "ABCDEFGH", State = PairingState.Pending, CreatedAt = Now, ExpiresAt = Now.AddMinutes(10) };
        Assert.True((await Stores.Pairings.AddPendingAsync(twin, 100, Now)).UserCodeTaken);
        Assert.Null(await Stores.Pairings.FindByDeviceCodeAsync("other"));
    }

    [Fact]
    public async Task When_the_most_pairings_are_pending_a_new_one_is_refused_with_the_oldest_expiry_and_expired_ones_do_not_count()
    {
        await AddPairingAsync(lifetime: TimeSpan.FromMinutes(1));
        var oldest = await AddPairingAsync(lifetime: TimeSpan.FromMinutes(3));
        await AddPairingAsync(lifetime: TimeSpan.FromMinutes(5));
        Time.Advance(TimeSpan.FromMinutes(2)); // the first has expired
        var candidate = new PairingRecord { DeviceCodeHash = "new", UserCode = "NEWCODES", State = PairingState.Pending, CreatedAt = Now, ExpiresAt = Now.AddMinutes(10) };

        var refused = await Stores.Pairings.AddPendingAsync(candidate, 2, Now);
        Assert.True(refused.Full);
        Assert.Equal((2, (DateTime?)oldest.ExpiresAt), (refused.Pending, refused.OldestPendingExpiry?.ToUniversalTime()));
        Assert.Null(await Stores.Pairings.FindByDeviceCodeAsync("new"));
        Assert.True((await Stores.Pairings.AddPendingAsync(candidate, 3, Now)).Added);
        Assert.Equal(3, await Stores.Pairings.CountPendingAsync(Now));
    }

    [Fact]
    public async Task A_change_is_written_only_over_the_version_it_was_decided_on()
    {
        var pairing = await AddPairingAsync();
        var version = pairing.Version;
        var poll = (await Stores.Pairings.FindByDeviceCodeAsync(pairing.DeviceCodeHash))!;
        poll.LastPolledAt = Now;
        Assert.True(await Stores.Pairings.ReplaceAsync(poll, version));
        Assert.Equal(version + 1, poll.Version);

        pairing.State = PairingState.Denied; // decided on what it read before the poll was written
        Assert.False(await Stores.Pairings.ReplaceAsync(pairing, version));
        var stored = (await Stores.Pairings.FindByDeviceCodeAsync(pairing.DeviceCodeHash))!;
        Assert.Equal((PairingState.Pending, (DateTime?)Now, version + 1), (stored.State, stored.LastPolledAt?.ToUniversalTime(), stored.Version));
    }

    [Fact]
    public async Task The_exchange_records_the_plugin_its_token_hash_and_its_inbox_and_happens_once()
    {
        var (plugin, token, pairing) = await PairAsync("teacher-1", gameId: "g1");
        Assert.Equal(plugin, await ClientOf(token));
        Assert.NotNull(await Inboxes.StateOfAsync(plugin.InboxId));
        var record = (await Stores.Plugins.FindAsync(plugin.Id))!;
        Assert.Equal(("teacher-1", "g1"), (record.OwnerId, record.GameId));
        Assert.DoesNotContain(token, Stores.StoredText());

        var stored = (await Stores.Pairings.FindByDeviceCodeAsync(pairing.DeviceCodeHash))!;
        Assert.Equal((PairingState.Consumed, plugin.Id, pairing.Version), (stored.State, stored.PluginId, stored.Version));
        // A second exchange decided on the same read (another poll racing this one) loses.
        var again = new PluginRecord { PluginId = ClientTokens.NewId(), OwnerId = "teacher-1", CreatedAt = Now };
        Assert.False(await Stores.Pairings.ConsumeAsync(pairing, pairing.Version - 1, again, ClientTokens.Hash("rbp_again")));
        Assert.Null(await Stores.Plugins.FindAsync(again.PluginId));
        Assert.Null(await Stores.Credentials.FindAsync(ClientTokens.Hash("rbp_again")));
    }

    [Fact]
    public async Task Of_exchanges_racing_on_one_read_exactly_one_wins()
    {
        var pairing = await AddPairingAsync();
        pairing.State = PairingState.Approved;
        pairing.PluginId = ClientTokens.NewId();
        pairing.DecidedBy = "teacher-1";
        Assert.True(await Stores.Pairings.ReplaceAsync(pairing, pairing.Version));
        var read = pairing.Version;
        var racers = new List<(PluginRecord Plugin, string TokenHash, PairingRecord Copy)>();
        for (var i = 0; i < 6; i++)
        {
            var copy = (await Stores.Pairings.FindByDeviceCodeAsync(pairing.DeviceCodeHash))!; // each decided on the same read
            copy.State = PairingState.Consumed;
            racers.Add((new PluginRecord { PluginId = "racer-" + i, OwnerId = "teacher-1", CreatedAt = Now }, ClientTokens.Hash("rbp_racer-" + i), copy));
        }
        var won = await Task.WhenAll(racers.Select(r => Stores.Pairings.ConsumeAsync(r.Copy, read, r.Plugin, r.TokenHash)));

        Assert.Equal(1, won.Count(w => w));
        var winner = racers[Array.IndexOf(won, true)];
        Assert.Equal([winner.Plugin.PluginId], (await Stores.Plugins.AllAsync()).Select(p => p.PluginId));
        Assert.NotNull(await Stores.Credentials.FindAsync(winner.TokenHash));
        foreach (var loser in racers.Where(r => r != winner))
            Assert.Null(await Stores.Credentials.FindAsync(loser.TokenHash));
    }

    [Fact]
    public async Task Pairings_and_plugins_survive_reopening_the_store()
    {
        var pending = await AddPairingAsync("PENDINGS");
        var (plugin, token, _) = await PairAsync();
        await ReopenAsync();
        Assert.Equal(PairingState.Pending, (await Stores.Pairings.NewestWithUserCodeAsync("PENDINGS"))!.State);
        Assert.Equal(pending.Version, (await Stores.Pairings.FindByDeviceCodeAsync(pending.DeviceCodeHash))!.Version);
        Assert.Equal(plugin, await Stores.Credentials.FindAsync(ClientTokens.Hash(token)));
        Assert.NotNull(await Stores.Plugins.FindAsync(plugin.Id));
    }

    [Fact]
    public async Task An_exchange_that_fails_part_way_keeps_nothing_of_it()
    {
        var (existing, _, _) = await PairAsync();
        var pairing = await AddPairingAsync();
        var version = pairing.Version;
        pairing.State = PairingState.Consumed;
        // The plugin id is taken: the exchange cannot complete, and must not half-complete.
        var clash = new PluginRecord { PluginId = existing.Id, OwnerId = "teacher-2", CreatedAt = Now };
        var tokenHash = ClientTokens.Hash("rbp_clash");
        bool consumed;
        try { consumed = await Stores.Pairings.ConsumeAsync(pairing, version, clash, tokenHash); }
        catch (Exception) { consumed = false; } // refusing and failing are both allowed; half-doing is not
        Assert.False(consumed);
        var stored = (await Stores.Pairings.FindByDeviceCodeAsync(pairing.DeviceCodeHash))!;
        Assert.Equal((PairingState.Pending, version), (stored.State, stored.Version));
        Assert.Null(await Stores.Credentials.FindAsync(tokenHash));
        Assert.Equal("teacher-1", (await Stores.Plugins.FindAsync(existing.Id))!.OwnerId);
    }

    [Fact]
    public async Task Removing_a_plugin_takes_its_tokens_and_its_inbox_and_removing_again_is_false()
    {
        var (plugin, token, _) = await PairAsync();
        await Inboxes.AppendAsync([plugin.InboxId], Event(plugin, "e"));
        Assert.True(await Stores.Plugins.RemoveAsync(plugin.Id));
        Assert.Null(await Stores.Plugins.FindAsync(plugin.Id));
        Assert.Null(await ClientOf(token));
        Assert.Null(await Inboxes.StateOfAsync(plugin.InboxId));
        Assert.Empty(await ReadAsync(plugin));
        Assert.False(await Stores.Plugins.RemoveAsync(plugin.Id));
    }

    [Fact]
    public async Task Plugins_are_listed_by_exact_owner_oldest_first()
    {
        var (first, _, _) = await PairAsync("teacher-1");
        Time.Advance(TimeSpan.FromSeconds(1));
        var (other, _, _) = await PairAsync("teacher-2");
        Time.Advance(TimeSpan.FromSeconds(1));
        var (second, _, _) = await PairAsync("teacher-1");
        Assert.Equal([first.Id, second.Id], (await Stores.Plugins.OwnedByAsync("teacher-1")).Select(p => p.PluginId));
        Assert.Equal([first.Id, other.Id, second.Id], (await Stores.Plugins.AllAsync()).Select(p => p.PluginId));
        Assert.Empty(await Stores.Plugins.OwnedByAsync("Teacher-1"));
    }

    [Fact]
    public async Task The_approver_of_an_approved_unexchanged_pairing_is_the_plugins_pending_owner_until_it_expires()
    {
        var pairing = await AddPairingAsync(lifetime: TimeSpan.FromMinutes(5));
        pairing.State = PairingState.Approved;
        pairing.PluginId = "p-approved";
        pairing.DecidedBy = "teacher-9";
        Assert.True(await Stores.Pairings.ReplaceAsync(pairing, pairing.Version));
        Assert.Equal("teacher-9", await Stores.Pairings.PendingOwnerOfAsync("p-approved", Now));
        Assert.Equal(0, await Stores.Pairings.CountPendingAsync(Now));
        Assert.Null(await Stores.Pairings.PendingOwnerOfAsync("p-approved", Now.AddMinutes(6)));
    }

    [Fact]
    public async Task Pairings_expired_before_the_cutoff_are_deleted_and_later_ones_kept()
    {
        var early = await AddPairingAsync(lifetime: TimeSpan.FromMinutes(1));
        var late = await AddPairingAsync(lifetime: TimeSpan.FromMinutes(30));
        Assert.Equal(1, await Stores.Pairings.DeleteExpiredAsync(Now.AddMinutes(10)));
        Assert.Null(await Stores.Pairings.FindByDeviceCodeAsync(early.DeviceCodeHash));
        Assert.NotNull(await Stores.Pairings.FindByDeviceCodeAsync(late.DeviceCodeHash));
    }
}
