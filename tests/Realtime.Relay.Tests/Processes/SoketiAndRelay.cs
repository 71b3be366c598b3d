using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>A real soketi and the real relay process against it, shared by a test class.</summary>
public sealed class SoketiAndRelay : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "relay-proc-" + Guid.NewGuid().ToString("N"));

    public SoketiServer Soketi { get; private set; } = null!;
    public RelayProcess Relay { get; private set; } = null!;

    public static string RelayDll => typeof(Program).Assembly.Location;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        Soketi = await SoketiServer.StartAsync();
        Relay = await RelayProcess.StartAsync(RelayDll, RelayProcess.EnvironmentFor(Soketi, Path.Combine(_dataDir, "relay.db")));
    }

    public Task<PusherJsClient> DashboardAsync(string sub, string role, IEnumerable<string>? classes = null) =>
        PusherJsClient.ConnectAsync(PusherJsOptions.For(Soketi, Relay.BaseUrl + "/api/v1/pusher/auth",
            TestJwt.For(sub, role, name: "Name of " + sub, classes: classes)));

    /// <summary>Waits until soketi reports <paramref name="channel"/> occupied (the relay has subscribed it).</summary>
    public async Task UntilPusherHasAsync(string channel)
    {
        using var rest = new Realtime.Pusher.Rest.PusherRestClient(Soketi.PusherOptions());
        await Wait.UntilAsync(async () => (await rest.GetChannelAsync(channel)).Occupied, Patience.Step,
            $"soketi to see {channel} occupied");
    }

    public async Task DisposeAsync()
    {
        if (Relay is not null) await Relay.DisposeAsync();
        if (Soketi is not null) await Soketi.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
