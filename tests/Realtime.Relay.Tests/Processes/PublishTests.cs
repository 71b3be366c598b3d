using System.Net;
using System.Text.RegularExpressions;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// deploy/Dockerfile's build step, run here (no Docker engine runs in CI): its exact
/// <c>dotnet publish</c> line, then the published relay started from another directory.
/// </summary>
[Collection(Name)]
public sealed class PublishTests
{
    /// <summary>A release build is the heaviest thing the suite does: run it alone, after the parallel tests, not under their process start-ups.</summary>
    public const string Name = "Publish (not parallel)";

    [Fact]
    public async Task The_dockerfiles_publish_command_ships_the_console_with_pusher_js_and_the_plugin_sources()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "Dockerfile"));
        var run = Regex.Match(dockerfile, @"^RUN (dotnet publish .+) -o /app\s*$", RegexOptions.Multiline);
        Assert.True(run.Success, "deploy/Dockerfile has no 'RUN dotnet publish … -o /app' line");
        var output = TempDirectory.New("relay-publish");
        var args = run.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Concat(["-o", output, "-nologo"]).ToList();

        using (var publish = new ManagedProcess("dotnet", args, new Dictionary<string, string?> { ["MSBUILDDISABLENODEREUSE"] = "1" },
                   workingDirectory: RepoPaths.Root))
        {
            Assert.True(await publish.WaitForExitAsync(TimeSpan.FromMinutes(8)), "dotnet publish did not finish:\n" + publish.RecentOutput);
            Assert.True(publish.ExitCode == 0, "dotnet publish failed:\n" + publish.RecentOutput);
        }
        foreach (var file in new[] { "Realtime.Relay.dll", "console/index.html", "console/app.js", "console/pages/pair.js",
                     "console/vendor/pusher.min.js", "plugin-source/rojo.project.json" })
            Assert.True(File.Exists(Path.Combine(output, file)), file + " is missing from the published relay");

        await using var relay = await RelayProcess.StartAsync(Path.Combine(output, "Realtime.Relay.dll"), new Dictionary<string, string?>
        {
            ["PUSHER_ENABLED"] = "false",
            ["AUTH_JWT_SECRET"] = TestJwt.Secret,
            ["RELAY_DB_PATH"] = TempDirectory.NewDatabasePath("relay-published"),
        });
        using var http = new HttpClient();
        var page = await http.GetAsync(relay.BaseUrl + "/console/pair?code=BCDF-GHJK");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(relay.BaseUrl + "/console/vendor/pusher.min.js")).StatusCode);
    }
}

[CollectionDefinition(PublishTests.Name, DisableParallelization = true)]
public sealed class PublishCollection;
