using System.Text.RegularExpressions;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Processes;

/// <summary>
/// The runtime settings the relay is deployed with live in two files (the systemd unit and the Dockerfile) and the
/// benchmarks read the unit's: the two must not drift apart.
/// </summary>
public sealed class DeployedRuntimeTests
{
    [Fact]
    public void The_service_unit_sets_the_gen0_budget_the_benchmarks_measured()
    {
        Assert.Equal("0x8000000", DeployedRuntime.Settings().GetValueOrDefault("DOTNET_GCgen0size"));
    }

    [Fact]
    public async Task The_dockerfile_sets_every_runtime_setting_of_the_service_unit_to_the_same_value()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "Dockerfile"));
        var settings = DeployedRuntime.Settings();
        Assert.NotEmpty(settings);
        foreach (var (name, value) in settings)
            Assert.True(Regex.IsMatch(dockerfile, $@"^(ENV\s+|\s+){Regex.Escape(name)}={Regex.Escape(value)}\s*(\\)?\s*$", RegexOptions.Multiline),
                $"deploy/Dockerfile does not set {name}={value} as deploy/realtime-relay.service does");
    }
}
