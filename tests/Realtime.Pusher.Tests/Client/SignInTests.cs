using Realtime.Pusher.Client;
using Realtime.Testing;

namespace Realtime.Pusher.Tests.Client;

/// <summary>soketi with user authentication on closes connections that do not sign in within 30 s (4009).</summary>
public sealed class SignInTests
{
    [Fact]
    public async Task With_SignInAs_the_connection_signs_in_on_a_server_that_requires_user_authentication()
    {
        await using var soketi = await SoketiServer.StartAsync(ClientTestKit.Settings with { UserAuthentication = true });
        var options = new PusherClientOptions { SignInAs = new Realtime.Pusher.Auth.PusherUser { Id = "relay", UserInfo = new { name = "Relay" } } };
        await using var connection = new PusherConnection(ClientTestKit.OptionsFor(soketi), options);
        await connection.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await Wait.UntilAsync(() => Task.FromResult(connection.IsSignedIn), TimeSpan.FromSeconds(10), "pusher:signin_success");
        await connection.SubscribeAsync("private-signed-in").WaitAsync(TimeSpan.FromSeconds(10));
    }
}
