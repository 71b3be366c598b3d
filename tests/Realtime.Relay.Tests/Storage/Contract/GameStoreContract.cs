using Realtime.Relay.Games;

namespace Realtime.Relay.Tests.Storage.Contract;

/// <summary>Games: ids unique ignoring case but found exactly, key replacement, owners, deletion.</summary>
public abstract class GameStoreContract : StoreContract
{
    private GameRecord Game(string id, string owner = "teacher-1") =>
        new() { GameId = id, Name = "Game " + id, OwnerId = owner, KeyHash = "hash-" + id, CreatedAt = Now };

    [Fact]
    public async Task Game_ids_are_unique_ignoring_case_and_found_only_exactly()
    {
        Assert.True(await Stores.Games.TryAddAsync(Game("Obby")));
        Assert.False(await Stores.Games.TryAddAsync(Game("obby", "teacher-2")));
        Assert.False(await Stores.Games.TryAddAsync(Game("Obby", "teacher-2")));
        Assert.Equal("teacher-1", (await Stores.Games.FindAsync("Obby"))!.OwnerId);
        Assert.Null(await Stores.Games.FindAsync("obby"));
        Assert.Single(await Stores.Games.AllAsync());
    }

    [Fact]
    public async Task Replacing_the_key_keeps_the_rest_of_the_game()
    {
        await Stores.Games.TryAddAsync(Game("g1"));
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await Stores.Games.ReplaceKeyAsync("g1", "new-hash", Now));
        var game = (await Stores.Games.FindAsync("g1"))!;
        Assert.Equal(("new-hash", (DateTime?)Now, "Game g1", "teacher-1"), (game.KeyHash, game.KeyRotatedAt, game.Name, game.OwnerId));
        Assert.False(await Stores.Games.ReplaceKeyAsync("G1", "other", Now));
    }

    [Fact]
    public async Task An_owners_games_are_exactly_theirs_oldest_first()
    {
        await Stores.Games.TryAddAsync(Game("first"));
        Time.Advance(TimeSpan.FromSeconds(1));
        await Stores.Games.TryAddAsync(Game("theirs", "teacher-2"));
        Time.Advance(TimeSpan.FromSeconds(1));
        await Stores.Games.TryAddAsync(Game("second"));
        Time.Advance(TimeSpan.FromSeconds(1));
        await Stores.Games.TryAddAsync(Game("upper", "Teacher-1"));
        Assert.Equal(["first", "second"], (await Stores.Games.OwnedByAsync("teacher-1")).Select(g => g.GameId));
        Assert.Equal(["first", "theirs", "second", "upper"], (await Stores.Games.AllAsync()).Select(g => g.GameId));
    }

    [Fact]
    public async Task A_deleted_game_is_gone_and_its_id_free_again()
    {
        await Stores.Games.TryAddAsync(Game("g1"));
        Assert.False(await Stores.Games.DeleteAsync("G1"));
        Assert.True(await Stores.Games.DeleteAsync("g1"));
        Assert.False(await Stores.Games.DeleteAsync("g1"));
        Assert.Null(await Stores.Games.FindAsync("g1"));
        Assert.True(await Stores.Games.TryAddAsync(Game("G1")));
    }
}
