using Newtonsoft.Json.Linq;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// pusher-js, configured as the dashboard is (authEndpoint = the relay, JWT in headers),
/// subscribing through a real soketi: what the relay signs, soketi accepts.
/// </summary>
public sealed class DashboardAuthTests(SoketiAndRelay env) : IClassFixture<SoketiAndRelay>
{
    [Fact]
    public async Task Pusherjs_subscribes_to_its_own_private_user_channel()
    {
        await using var dashboard = await env.DashboardAsync("teacher-1", "educator");
        var result = await dashboard.SubscribeAsync("private-user-teacher-1");
        Assert.Equal("subscribed", (string?)result["type"]);
    }

    [Fact]
    public async Task Pusherjs_joins_a_game_presence_channel_and_sees_itself_as_a_member()
    {
        await using var dashboard = await env.DashboardAsync("teacher-2", "educator");
        var result = await dashboard.SubscribeAsync("presence-game-77");
        Assert.Equal("subscribed", (string?)result["type"]);
        var me = Assert.Single((JArray)result["members"]!);
        Assert.Equal("teacher-2", (string?)me["id"]);
        Assert.Equal("Name of teacher-2", (string?)me["info"]!["name"]);
    }

    [Fact]
    public async Task A_second_dashboard_sees_the_first_join_the_presence_channel()
    {
        await using var first = await env.DashboardAsync("watcher", "admin");
        await first.SubscribeAsync("presence-game-78");
        await using var second = await env.DashboardAsync("student-5", "student");
        await second.SubscribeAsync("presence-game-78");
        var added = await first.WaitForAsync(m => (string?)m["type"] == "member_added" && (string?)m["id"] == "student-5",
            Patience.Step, "member_added for student-5");
        Assert.Equal("student", (string?)added["info"]!["role"]);
    }

    [Fact]
    public async Task Pusherjs_is_refused_a_channel_the_policy_does_not_allow()
    {
        await using var dashboard = await env.DashboardAsync("student-1", "student", ["class-a"]);
        var refused = await dashboard.SubscribeAsync("private-user-someone-else");
        Assert.Equal("subscription_error", (string?)refused["type"]);
        Assert.Equal(403, (int?)refused["status"]);
        var otherClass = await dashboard.SubscribeAsync("presence-classroom-class-b");
        Assert.Equal("subscription_error", (string?)otherClass["type"]);
        var ownClass = await dashboard.SubscribeAsync("presence-classroom-class-a");
        Assert.Equal("subscribed", (string?)ownClass["type"]);
    }

    [Fact]
    public async Task Pusherjs_without_a_valid_jwt_cannot_subscribe_to_private_channels()
    {
        await using var dashboard = await Realtime.Testing.PusherJsClient.ConnectAsync(
            Realtime.Testing.PusherJsOptions.For(env.Soketi, env.Relay.BaseUrl + "/api/v1/pusher/auth", bearer: "not-a-jwt"));
        var refused = await dashboard.SubscribeAsync("presence-game-1");
        Assert.Equal("subscription_error", (string?)refused["type"]);
        Assert.Equal(401, (int?)refused["status"]);
    }

    [Fact]
    public async Task Pusherjs_signs_in_through_the_relays_user_auth_endpoint()
    {
        await using var dashboard = await env.DashboardAsync("teacher-3", "educator");
        var signedIn = await dashboard.SignInAsync();
        var userData = Newtonsoft.Json.Linq.JObject.Parse((string)signedIn["userData"]!);
        Assert.Equal("teacher-3", (string?)userData["id"]);
    }
}
