using Microsoft.Extensions.DependencyInjection;
using Realtime.Relay.Clients;
using Realtime.Relay.Games;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Games;

/// <summary>
/// A session's registration and its end are each one storage operation, with no gate between
/// them: however they interleave, the relay routes a job's channel exactly when its inbox is open.
/// </summary>
public sealed class SessionRoutingTests : IDisposable
{
    private readonly RelayFactory _relay = new();

    [Fact]
    public async Task A_job_ending_and_registering_again_at_once_is_routed_exactly_when_its_inbox_is_open()
    {
        var games = _relay.Services.GetRequiredService<GameService>();
        var inboxes = _relay.Services.GetRequiredService<IInboxStore>();
        var router = _relay.Services.GetRequiredService<ChannelRouter>();
        var game = new GameRecord { GameId = "race", Name = "Race", OwnerId = "teacher-1", KeyHash = "unused" };
        Assert.True(await _relay.Services.GetRequiredService<IGameStore>().TryAddAsync(game));
        var client = new RelayClient(ClientKind.GameServer, "job-race", game.GameId);
        var request = new RegisterServerRequest { JobId = client.Id, PlaceId = 1 };
        Assert.True((await games.RegisterAsync(game, request, default)).Error is null);

        for (var round = 0; round < 30; round++)
        {
            await Task.WhenAll(games.EndAsync(client, "ended"), games.RegisterAsync(game, request, default));
            var open = await inboxes.StateOfAsync(client.InboxId) is not null;
            var routed = router.InboxesFor(client.OwnChannel).Contains(client.InboxId);
            Assert.True(open == routed, $"round {round}: inbox open {open}, routed {routed}");
            if (!open) Assert.True((await games.RegisterAsync(game, request, default)).Error is null);
        }
    }

    public void Dispose() => _relay.Dispose();
}
