using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using Realtime.Relay.Clients;
using Realtime.Relay.Cluster;
using Realtime.Relay.Presence;
using Realtime.Relay.Tests.Support;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Presence;

/// <summary>
/// The roster's own logic — who joins, who leaves, silence, closed clients, refusals — with players'
/// connections from <see cref="FakePresenceConnections"/>. What Pusher and pusher-js make of the
/// members is covered against soketi by <see cref="PresenceThroughSoketiTests"/> and <see cref="PresenceMemberLimitTests"/>.
/// </summary>
public sealed class PresenceRosterTests : IAsyncLifetime
{
    private static readonly PresenceOptions Options = new() { SilenceSeconds = 45 };
    private static readonly RelayClient Server1 = new(ClientKind.GameServer, "job-1", "g1");
    private static readonly RelayClient Server2 = new(ClientKind.GameServer, "job-2", "g1");
    private static readonly RelayClient Plugin = new(ClientKind.Plugin, "p1", null);

    private readonly FakePresenceConnections _pusher = new();
    private readonly FakeTime _clock = new();
    private readonly PresenceRoster _roster;

    public PresenceRosterTests() =>
        _roster = new PresenceRoster(_pusher, Options, _clock, NullLogger<PresenceRoster>.Instance);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _roster.DisposeAsync();

    private static PlayerReport Player(long id, string name, string? displayName = null) => new(new JValue(id), name, displayName);

    private Task<RosterChange?> ReportAsync(RelayClient client, params PlayerReport[] players) =>
        _roster.ReportAsync(client, "g1", players, CancellationToken.None);

    private IReadOnlyList<PresencePlayer> Players() => _roster.Snapshot("g1").Players;

    [Fact]
    public async Task An_older_report_applied_after_a_newer_one_changes_nothing()
    {
        // In a cluster a nudge and a round may apply one reporter's kept reports out of order (docs/cluster.md, "Presence").
        var key = RosterReport.KeyOf(Server1, "g1");
        var t = _clock.GetUtcNow();
        await _roster.ApplyAsync(new RosterReport(key, Server1.Kind, Server1.Id, Server1.GameId, "g1", [Player(1, "alice"), Player(2, "bob")], t.AddSeconds(1)));
        await _roster.ApplyAsync(new RosterReport(key, Server1.Kind, Server1.Id, Server1.GameId, "g1", [Player(1, "alice")], t));

        Assert.Equal([1L, 2L], Players().Select(p => p.UserId).Order());
        Assert.False(_pusher.Seat("roblox-2").IsClosed);
    }

    [Fact]
    public async Task Reported_players_join_the_games_presence_channel_signed_in_as_themselves()
    {
        var change = await ReportAsync(Server1, Player(1, "alice", "Alice"), Player(2, "bob"));

        Assert.Equal([1L, 2L], change!.Added.Order());
        Assert.Equal(2, change.Present);
        var alice = _pusher.Seat("roblox-1");
        Assert.Equal("presence-game-g1", alice.Channel);
        Assert.Equal("roblox-player", (string?)alice.UserInfo["kind"]);
        Assert.Equal("alice", (string?)alice.UserInfo["name"]);
        Assert.Equal("Alice", (string?)alice.UserInfo["displayName"]);
        Assert.Equal("job-1", (string?)alice.UserInfo["jobId"]);
        Assert.Equal("bob", (string?)_pusher.Seat("roblox-2").UserInfo["displayName"]); // no display name: the name
        Assert.All(Players(), p => Assert.Equal("joining", p.Pusher));

        alice.Accept();
        Assert.Equal("member", Players().Single(p => p.UserId == 1).Pusher);
    }

    [Fact]
    public async Task A_player_missing_from_the_next_report_leaves_and_their_connection_is_closed()
    {
        await ReportAsync(Server1, Player(1, "alice"), Player(2, "bob"));
        var alice = _pusher.Seat("roblox-1");

        var change = await ReportAsync(Server1, Player(2, "bob"));

        Assert.Equal([1L], change!.Removed);
        Assert.Empty(change.Added);
        Assert.True(alice.Unsubscribed);
        Assert.True(alice.IsClosed);
        Assert.Equal([2L], Players().Select(p => p.UserId));
        Assert.Equal(["roblox-2"], _pusher.StillOpen.Select(s => s.UserId));
    }

    [Fact]
    public async Task The_same_report_again_changes_nothing_and_opens_no_connection()
    {
        await ReportAsync(Server1, Player(1, "alice"));

        var change = await ReportAsync(Server1, Player(1, "alice"));

        Assert.Empty(change!.Added);
        Assert.Empty(change.Removed);
        Assert.Empty(change.Updated);
        Assert.Single(_pusher.Opened);
    }

    [Fact]
    public async Task A_renamed_player_leaves_before_joining_again_with_the_new_name_and_keeps_their_since()
    {
        await ReportAsync(Server1, Player(1, "alice"));
        var since = Players().Single().Since;
        var before = _pusher.Seat("roblox-1");
        _clock.Advance(TimeSpan.FromSeconds(10));

        var change = await ReportAsync(Server1, Player(1, "alice", "Queen Alice"));

        Assert.Equal([1L], change!.Updated);
        Assert.Empty(change.Added);
        Assert.Empty(change.Removed);
        Assert.True(before.IsClosed);
        var after = _pusher.Seat("roblox-1");
        Assert.NotSame(before, after);
        Assert.Equal("Queen Alice", (string?)after.UserInfo["displayName"]);
        Assert.Equal(since, Players().Single().Since);
    }

    [Fact]
    public async Task A_reporter_silent_for_the_silence_loses_its_players_at_the_sweep_and_one_still_reporting_keeps_them()
    {
        await ReportAsync(Server1, Player(1, "alice"));
        await ReportAsync(Server2, Player(2, "bob"));
        _clock.Advance(Options.Silence - TimeSpan.FromSeconds(1));
        await ReportAsync(Server2, Player(2, "bob"));

        Assert.Equal(0, await _roster.SweepAsync());
        Assert.Equal(2, Players().Count);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await _roster.SweepAsync());

        Assert.True(_pusher.Seat("roblox-1").IsClosed);
        Assert.Equal(["roblox-2"], _pusher.StillOpen.Select(s => s.UserId));
        Assert.Equal(["job-2"], _roster.Snapshot("g1").Servers.Select(s => s.JobId));
    }

    [Fact]
    public async Task An_ended_session_loses_its_players_at_once_and_other_servers_keep_theirs()
    {
        await ReportAsync(Server1, Player(1, "alice"));
        await ReportAsync(Server2, Player(2, "bob"));

        await _roster.OnClientClosedAsync(Server1);

        Assert.True(_pusher.Seat("roblox-1").IsClosed);
        Assert.Equal([2L], Players().Select(p => p.UserId));
        Assert.Equal(["job-2"], _roster.Snapshot("g1").Servers.Select(s => s.JobId));
    }

    [Fact]
    public async Task A_revoked_plugins_studio_players_leave_at_once()
    {
        await ReportAsync(Plugin, Player(7, "tester"));
        Assert.Equal("studio-p1", (string?)_pusher.Seat("roblox-7").UserInfo["jobId"]);
        Assert.Equal("studio-p1", Players().Single().JobId);

        await _roster.OnClientClosedAsync(Plugin);

        Assert.True(_pusher.Seat("roblox-7").IsClosed);
        Assert.Empty(Players());
        Assert.Empty(_roster.Snapshot("g1").Servers);
    }

    [Fact]
    public async Task A_player_Pusher_refuses_has_their_connection_closed_and_is_tried_again_on_a_new_one_at_the_next_report()
    {
        await ReportAsync(Server1, Player(1, "alice"), Player(2, "bob"));
        var bob = _pusher.Seat("roblox-2");

        bob.Refuse("Presence channel over its member limit");
        await bob.Closed.WaitAsync(Patience.Step);

        Assert.Equal("refused: Presence channel over its member limit", Players().Single(p => p.UserId == 2).Pusher);
        Assert.False(_pusher.Seat("roblox-1").IsClosed);

        var change = await ReportAsync(Server1, Player(1, "alice"), Player(2, "bob"));

        Assert.Empty(change!.Added); // bob was already reported: tried again, not new
        Assert.Equal(2, change.Present);
        var again = _pusher.Seat("roblox-2");
        Assert.NotSame(bob, again);
        Assert.False(again.IsClosed);
        Assert.Equal("joining", Players().Single(p => p.UserId == 2).Pusher);
    }

    [Fact]
    public async Task A_refusal_told_before_the_connection_is_handed_over_still_closes_it()
    {
        _pusher.RefuseAtOnce["roblox-3"] = "over the limit";

        await ReportAsync(Server1, Player(3, "carol"));

        await _pusher.Seat("roblox-3").Closed.WaitAsync(Patience.Step);
        Assert.Equal("refused: over the limit", Players().Single().Pusher);
    }

    [Fact]
    public async Task A_player_Pusher_would_never_accept_is_left_out_and_the_others_join()
    {
        _pusher.Invalid.Add("roblox-4");

        var change = await ReportAsync(Server1, Player(4, "dave"), Player(5, "erin"));

        Assert.Equal([5L], change!.Added);
        Assert.Equal([5L], Players().Select(p => p.UserId));
    }

    [Fact]
    public async Task After_shutdown_every_connection_is_closed_and_reports_are_not_applied()
    {
        await ReportAsync(Server1, Player(1, "alice"));

        await _roster.DisposeAsync();

        Assert.Empty(_pusher.StillOpen);
        Assert.Null(await ReportAsync(Server1, Player(2, "bob")));
        Assert.Single(_pusher.Opened);
    }
}
