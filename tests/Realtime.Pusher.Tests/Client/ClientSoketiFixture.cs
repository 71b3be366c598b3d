using Realtime.Pusher.Auth;
using Realtime.Pusher.Client;
using Realtime.Pusher.Rest;
using Realtime.Testing;

namespace Realtime.Pusher.Tests.Client;

/// <summary>One real soketi shared by a test class (client events on; user authentication off, so idle sockets are not closed after 30 s).</summary>
public sealed class ClientSoketiFixture : IAsyncLifetime
{
    public SoketiServer Soketi { get; private set; } = null!;
    public PusherRestClient Rest { get; private set; } = null!;
    public PusherOptions Options { get; private set; } = null!;
    public PusherAuthorizer Authorizer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Soketi = await SoketiServer.StartAsync(ClientTestKit.Settings);
        Options = ClientTestKit.OptionsFor(Soketi);
        Rest = new PusherRestClient(Options);
        Authorizer = new PusherAuthorizer(Options);
    }

    public async Task DisposeAsync()
    {
        Rest.Dispose();
        await Soketi.DisposeAsync();
    }
}

internal static class ClientTestKit
{
    public static readonly SoketiSettings Settings = new() { UserAuthentication = false, ClientMessages = true };

    public static PusherOptions OptionsFor(SoketiServer soketi, string? key = null) => soketi.PusherOptions(key);

    /// <summary>Reads the subscription's stream until an item matches; fails after <paramref name="timeout"/>.</summary>
    public static async Task<PusherEvent> NextAsync(this PusherSubscription sub, Func<PusherEvent, bool> match, TimeSpan? timeout = null, string? what = null)
    {
        var limit = timeout ?? Patience.Step;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            while (true)
            {
                var e = await sub.Events.ReadAsync(cts.Token);
                if (match(e)) return e;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No {what ?? "matching item"} on {sub.Channel} within {limit.TotalSeconds:0.#} s (state {sub.State}, connection {sub.Connection.State})");
        }
    }

    public static Task<PusherEvent> NextEventAsync(this PusherSubscription sub, string eventName, TimeSpan? timeout = null) =>
        sub.NextAsync(e => e.Kind == PusherEventKind.Event && e.Event == eventName, timeout, "event " + eventName);

    public static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];
}
