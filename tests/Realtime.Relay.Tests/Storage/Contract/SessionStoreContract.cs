using Realtime.Relay.Clients;
using Realtime.Relay.Games;

namespace Realtime.Relay.Tests.Storage.Contract;

/// <summary>Game-server sessions: the session, its token hash and its inbox change together.</summary>
public abstract class SessionStoreContract : StoreContract
{
    private Task<RelayClient?> ClientOf(string token) => Stores.Credentials.FindAsync(ClientTokens.Hash(token));

    [Fact]
    public async Task Registering_stores_the_session_its_token_hash_and_its_inbox_together()
    {
        var server = NewServer();
        var (token, result) = await RegisterAsync(server, placeId: 42);
        Assert.Equal(SessionRegistration.Started, result);
        Assert.Equal(server, await ClientOf(token));
        Assert.NotNull(await Inboxes.StateOfAsync(server.InboxId));
        var session = (await Stores.Sessions.FindAsync(server.InboxId))!;
        Assert.Equal((server.GameId, server.Id, 42L, Now), (session.GameId, session.JobId, session.PlaceId, session.LastSeenAt));
    }

    [Fact]
    public async Task Only_the_tokens_hash_is_stored_never_the_token()
    {
        var server = NewServer();
        var (token, _) = await RegisterAsync(server);
        var stored = Stores.StoredText();
        Assert.DoesNotContain(token, stored);
        Assert.Contains(ClientTokens.Hash(token), stored);
        Assert.Null(await Stores.Credentials.FindAsync(token)); // the plain token is no key either
    }

    [Fact]
    public async Task Registering_again_replaces_the_token_and_keeps_the_inbox_and_its_events()
    {
        var server = NewServer();
        var (first, _) = await RegisterAsync(server);
        await Inboxes.AppendAsync([server.InboxId], Event(server, "kept"));
        var (second, result) = await RegisterAsync(server);
        Assert.Equal(SessionRegistration.Replaced, result);
        Assert.Null(await ClientOf(first));
        Assert.Equal(server, await ClientOf(second));
        Assert.Equal(["1:kept"], await ReadAsync(server));
    }

    [Fact]
    public async Task Registering_again_stops_the_old_token_even_once_looked_up_and_no_other_clients_token()
    {
        // Looked up first, so an engine that remembers tokens has them all in memory when one is revoked.
        var server = NewServer();
        var sameJobOtherGame = new RelayClient(ClientKind.GameServer, server.Id, "g2");
        var jobInOtherCase = new RelayClient(ClientKind.GameServer, server.Id.ToUpperInvariant(), server.GameId);
        var others = new List<(RelayClient Client, string Token)>();
        foreach (var other in new[] { sameJobOtherGame, jobInOtherCase }.Concat(Enumerable.Range(0, 50).Select(i => NewServer("busy-" + i))))
            others.Add((other, (await RegisterAsync(other)).Token)); // and unrelated sessions, as a busy relay has
        var (plugin, pluginToken, _) = await PairAsync();
        others.Add((plugin, pluginToken));
        var (first, _) = await RegisterAsync(server);
        Assert.Equal(server, await ClientOf(first));
        foreach (var (client, token) in others) Assert.Equal(client, await ClientOf(token));

        var (second, _) = await RegisterAsync(server);

        Assert.Null(await ClientOf(first));
        Assert.Equal(server, await ClientOf(second));
        foreach (var (client, token) in others) Assert.Equal(client, await ClientOf(token));
    }

    [Fact]
    public async Task A_game_with_its_most_sessions_refuses_a_new_job_and_stores_nothing_of_it_but_takes_a_registered_one_again()
    {
        var (a, b) = (NewServer("full"), NewServer("full"));
        await RegisterAsync(a, maxPerGame: 1);
        var (refusedToken, refused) = await RegisterAsync(b, maxPerGame: 1);
        Assert.Equal(SessionRegistration.TooManySessions, refused);
        Assert.Null(await ClientOf(refusedToken));
        Assert.Null(await Inboxes.StateOfAsync(b.InboxId));
        Assert.Null(await Stores.Sessions.FindAsync(b.InboxId));
        Assert.Equal(SessionRegistration.Replaced, (await RegisterAsync(a, maxPerGame: 1)).Result);
        Assert.Equal(SessionRegistration.Started, (await RegisterAsync(NewServer("other"), maxPerGame: 1)).Result);
    }

    [Fact]
    public async Task Registrations_racing_for_the_last_places_of_a_game_never_exceed_its_limit()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => RegisterAsync(NewServer("race"), maxPerGame: 3)));
        Assert.Equal(3, results.Count(r => r.Result == SessionRegistration.Started));
        Assert.Equal(3, (await Stores.Sessions.OfGameAsync("race")).Count);
        foreach (var (token, result) in results)
            Assert.Equal(result == SessionRegistration.Started, await ClientOf(token) is not null);
    }

    [Fact]
    public async Task Ending_a_session_gives_its_place_in_a_full_game_to_a_new_job_and_only_one()
    {
        var (a, b, c) = (NewServer("turns"), NewServer("turns"), NewServer("turns"));
        await RegisterAsync(a, maxPerGame: 2);
        await RegisterAsync(b, maxPerGame: 2);
        Assert.True(await Stores.Sessions.EndAsync(a.InboxId));
        Assert.False(await Stores.Sessions.EndAsync(a.InboxId));
        Assert.Equal(SessionRegistration.Started, (await RegisterAsync(c, maxPerGame: 2)).Result);
        Assert.Equal(SessionRegistration.TooManySessions, (await RegisterAsync(NewServer("turns"), maxPerGame: 2)).Result);
        Assert.Equal(SessionRegistration.Replaced, (await RegisterAsync(b, maxPerGame: 2)).Result);
        Assert.Equal(SessionRegistration.TooManySessions, (await RegisterAsync(a, maxPerGame: 2)).Result);
    }

    [Fact]
    public async Task A_game_full_before_the_store_was_reopened_is_full_after_it()
    {
        await RegisterAsync(NewServer("kept"), maxPerGame: 2);
        await RegisterAsync(NewServer("kept"), maxPerGame: 2);
        await ReopenAsync();
        Assert.Equal(SessionRegistration.TooManySessions, (await RegisterAsync(NewServer("kept"), maxPerGame: 2)).Result);
        Assert.Equal(SessionRegistration.Started, (await RegisterAsync(NewServer("kept"), maxPerGame: 3)).Result);
        Assert.Equal(3, (await Stores.Sessions.OfGameAsync("kept")).Count);
    }

    [Fact]
    public async Task Sessions_and_their_tokens_survive_reopening_the_store()
    {
        var server = NewServer();
        var (token, _) = await RegisterAsync(server);
        await ReopenAsync();
        Assert.Equal(server, await ClientOf(token));
        Assert.NotNull(await Stores.Sessions.FindAsync(server.InboxId));
        Assert.NotNull(await Inboxes.StateOfAsync(server.InboxId));
    }

    [Fact]
    public async Task Ending_removes_the_session_its_tokens_and_its_inbox_together_and_ending_again_is_false()
    {
        var server = NewServer();
        var (token, _) = await RegisterAsync(server);
        await Inboxes.AppendAsync([server.InboxId], Event(server, "e"));
        Assert.True(await Stores.Sessions.EndAsync(server.InboxId));
        Assert.Null(await ClientOf(token));
        Assert.Null(await Inboxes.StateOfAsync(server.InboxId));
        Assert.Empty(await ReadAsync(server));
        Assert.Null(await Stores.Sessions.FindAsync(server.InboxId));
        Assert.False(await Stores.Sessions.EndAsync(server.InboxId));
    }

    [Fact]
    public async Task Ending_only_if_silent_keeps_a_session_seen_since_and_ends_one_that_was_not()
    {
        var (seen, silent) = (NewServer(), NewServer());
        await RegisterAsync(seen);
        await RegisterAsync(silent);
        Time.Advance(TimeSpan.FromMinutes(5));
        await Stores.Sessions.TouchAsync([new(seen.InboxId, Time.GetUtcNow())]);
        var cutoff = Now - TimeSpan.FromMinutes(1);

        Assert.Equal([silent.InboxId], (await Stores.Sessions.SilentSinceAsync(cutoff)).Select(s => s.Id));
        Assert.False(await Stores.Sessions.EndAsync(seen.InboxId, onlyIfSilentBefore: cutoff));
        Assert.True(await Stores.Sessions.EndAsync(silent.InboxId, onlyIfSilentBefore: cutoff));
        Assert.NotNull(await Inboxes.StateOfAsync(seen.InboxId));
    }

    [Fact]
    public async Task A_touch_soon_after_the_last_is_seen_by_every_read_at_once()
    {
        // Seconds after registering: an engine may keep such a touch in memory rather than write it, but no read may miss it.
        var server = NewServer();
        await RegisterAsync(server);
        var registeredAt = Now;
        Time.Advance(TimeSpan.FromSeconds(10));
        await Stores.Sessions.TouchAsync([new(server.InboxId, Time.GetUtcNow())]);

        Assert.Equal(Now, (await Stores.Sessions.FindAsync(server.InboxId))!.LastSeenAt);
        Assert.Equal([Now], (await Stores.Sessions.OfGameAsync(server.GameId!)).Select(s => s.LastSeenAt));
        Assert.Empty(await Stores.Sessions.SilentSinceAsync(registeredAt + TimeSpan.FromSeconds(5)));
        Assert.False(await Stores.Sessions.EndAsync(server.InboxId, onlyIfSilentBefore: registeredAt + TimeSpan.FromSeconds(5)));
        Assert.Equal([server.InboxId], (await Stores.Sessions.SilentSinceAsync(Now + TimeSpan.FromSeconds(1))).Select(s => s.Id));
        Assert.True(await Stores.Sessions.EndAsync(server.InboxId, onlyIfSilentBefore: Now + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Last_seen_only_moves_forward_and_unknown_sessions_are_skipped()
    {
        var server = NewServer();
        await RegisterAsync(server);
        var registeredAt = Time.GetUtcNow();
        await Stores.Sessions.TouchAsync([new(server.InboxId, registeredAt + TimeSpan.FromMinutes(2)), new("server:none:job", registeredAt)]);
        await Stores.Sessions.TouchAsync([new(server.InboxId, registeredAt + TimeSpan.FromMinutes(1))]);
        Assert.Equal((registeredAt + TimeSpan.FromMinutes(2)).UtcDateTime, (await Stores.Sessions.FindAsync(server.InboxId))!.LastSeenAt);
        Assert.Null(await Stores.Sessions.FindAsync("server:none:job"));
    }

    [Fact]
    public async Task A_games_sessions_are_those_of_exactly_that_game_oldest_first()
    {
        var first = NewServer("Obby");
        await RegisterAsync(first);
        Time.Advance(TimeSpan.FromSeconds(1));
        var second = NewServer("Obby");
        await RegisterAsync(second);
        await RegisterAsync(NewServer("obby"));
        Assert.Equal([first.Id, second.Id], (await Stores.Sessions.OfGameAsync("Obby")).Select(s => s.JobId));
    }
}
