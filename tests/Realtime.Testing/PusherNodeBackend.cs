using Newtonsoft.Json;

namespace Realtime.Testing;

/// <summary>The platform backend in tests: the official <c>pusher</c> Node SDK, one trigger per call.</summary>
public sealed class PusherNodeBackend(SoketiServer soketi)
{
    public async Task TriggerAsync(string channel, string eventName, object data)
    {
        var config = JsonConvert.SerializeObject(new
        {
            appId = soketi.Settings.AppId, key = soketi.Settings.Key, secret = soketi.Settings.Secret,
            host = soketi.Host, port = soketi.Port.ToString(),
        });
        using var node = new ManagedProcess("node",
            [RepoPaths.TestScript("pusher-backend.mjs"), config, channel, eventName, JsonConvert.SerializeObject(data)]);
        if (!await node.WaitForExitAsync(TimeSpan.FromSeconds(20)) || node.ExitCode != 0)
            throw new InvalidOperationException($"pusher (Node SDK) trigger to {channel} failed:\n{node.RecentOutput}");
    }
}
