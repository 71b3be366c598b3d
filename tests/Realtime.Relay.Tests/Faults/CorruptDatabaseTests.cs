using System.Net;
using Realtime.Relay.Tests.Processes;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Faults;

/// <summary>
/// A database file the relay cannot trust stops start-up with exit code 2 and one line that says
/// what to fix — never "ready" and then 500s, never a stack trace, never overwriting a file that
/// is not the relay's.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class CorruptDatabaseTests
{
    /// <summary>A real relay database with plugins, sessions and events in it, checkpointed by a clean stop.</summary>
    private static async Task<string> UsedDatabaseAsync()
    {
        var path = TempDirectory.NewDatabasePath("relay-corrupt");
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, RelayProcess.UnreachablePusherEnvironment(path));
        for (var i = 0; i < 3; i++) await PairedPlugin.PairAsync(relay.BaseUrl, ownerId: "teacher-" + i);
        await relay.StopAsync();
        Assert.Equal(0, relay.ExitCode);
        return path;
    }

    private static async Task<string> StartUpRefusedAsync(string path)
    {
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, RelayProcess.UnreachablePusherEnvironment(path), waitUntilHealthy: false);
        Assert.True(await relay.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the relay should have stopped:\n" + relay.RecentOutput);
        Assert.True(relay.ExitCode == 2, $"exit code {relay.ExitCode}:\n{relay.RecentOutput}");
        var line = Assert.Single(relay.RecentOutput.Split('\n'), l => l.Contains("storage error"));
        Assert.DoesNotContain("   at ", relay.RecentOutput); // no stack trace
        Assert.Contains("RELAY_DB_PATH", line);
        return line;
    }

    [Fact]
    public async Task A_text_file_at_the_database_path_is_refused_and_left_as_it_was()
    {
        var path = TempDirectory.NewDatabasePath("relay-text");
        const string text = "these are my lesson notes, not a database\n";
        await File.WriteAllTextAsync(path, text);
        var line = await StartUpRefusedAsync(path);
        Assert.Contains("not a LiteDB database", line);
        Assert.Equal(text, await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task A_large_file_of_another_kind_is_refused_and_left_as_it_was()
    {
        var path = TempDirectory.NewDatabasePath("relay-other");
        var bytes = new byte[64 * 1024];
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes);
        Assert.Contains("not a LiteDB database", await StartUpRefusedAsync(path));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_truncated_database_stops_start_up_with_one_line()
    {
        var path = await UsedDatabaseAsync();
        var length = new FileInfo(path).Length;
        using (var file = new FileStream(path, FileMode.Open)) file.SetLength(length / 2 + 100);
        Assert.Contains("truncated", await StartUpRefusedAsync(path));
    }

    [Fact]
    public async Task A_database_cut_at_a_page_boundary_stops_start_up_with_one_line()
    {
        var path = await UsedDatabaseAsync();
        using (var file = new FileStream(path, FileMode.Open)) file.SetLength(8192 * 2);
        await StartUpRefusedAsync(path);
    }

    [Fact]
    public async Task Random_bytes_in_the_middle_of_the_database_stop_start_up_with_one_line()
    {
        var path = await UsedDatabaseAsync();
        var length = new FileInfo(path).Length;
        var noise = new byte[length - 8192 * 2];
        new Random(42).NextBytes(noise);
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.Position = 8192; // the header page stays: the file still says it is LiteDB
            file.Write(noise);
        }
        Assert.Contains("damaged", await StartUpRefusedAsync(path));
    }

    [Fact]
    public async Task An_empty_file_is_a_new_database()
    {
        var path = TempDirectory.NewDatabasePath("relay-empty");
        await File.WriteAllBytesAsync(path, []);
        await using var relay = await RelayProcess.StartAsync(SoketiAndRelay.RelayDll, RelayProcess.UnreachablePusherEnvironment(path));
        var plugin = await PairedPlugin.PairAsync(relay.BaseUrl);
        using var http = plugin.Client(relay.BaseUrl);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(plugin.BasePath + "/events?wait=0")).StatusCode);
    }
}
