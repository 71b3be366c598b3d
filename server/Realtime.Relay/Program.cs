using Realtime.Relay;
using Realtime.Relay.Configuration;

// The relay: Roblox's seat in Pusher Channels. See README.md.
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddRelay();
    var app = builder.Build();
    app.MapRelay();
    app.Run();
    return 0;
}
catch (Exception e) when (ConfigurationErrors.Of(e) is { } problems)
{
    // One line per bad value, saying what to fix; no stack trace for a configuration mistake.
    foreach (var problem in problems) Console.Error.WriteLine("relay: configuration error: " + problem);
    return 2;
}
catch (Exception e) when (StorageStartupError(e) is { } storage)
{
    // A database file the relay cannot use: say what to fix, not where it failed.
    Console.Error.WriteLine("relay: storage error: " + storage.Message);
    return 2;
}

static Realtime.Relay.Storage.StorageStartupException? StorageStartupError(Exception? e) => e switch
{
    null => null,
    Realtime.Relay.Storage.StorageStartupException s => s,
    AggregateException a => a.InnerExceptions.Select(StorageStartupError).FirstOrDefault(x => x is not null),
    _ => StorageStartupError(e.InnerException),
};

public partial class Program;
