using Realtime.Relay;
using Realtime.Relay.Configuration;

// The relay: Roblox's seat in Pusher Channels. See README.md and ../shared/DESIGN.md.
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddRelay();
    var app = builder.Build();
    app.MapRelay();
    app.Run();
    return 0;
}
catch (RelayConfigurationException e)
{
    // One line that says what to fix; no stack trace for a configuration mistake.
    Console.Error.WriteLine("relay: configuration error: " + e.Message);
    return 2;
}

public partial class Program;
