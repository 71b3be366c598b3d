using System.Text.RegularExpressions;

namespace Realtime.Testing;

/// <summary>
/// The .NET runtime settings the relay is deployed with: the <c>Environment=DOTNET_…</c> lines (not the CLI's
/// <c>DOTNET_CLI_…</c>) of deploy/realtime-relay.service (deploy/Dockerfile carries the same; a test holds them together). Some
/// runtime settings exist only as environment variables (the GC's gen-0 budget has no runtimeconfig.json
/// knob), so the benchmarks start the relay with these to measure it as deployed.
/// </summary>
public static partial class DeployedRuntime
{
    public static string ServiceUnitPath { get; } = Path.Combine(RepoPaths.Root, "deploy", "realtime-relay.service");

    public static IReadOnlyDictionary<string, string> Settings() =>
        EnvironmentLine().Matches(File.ReadAllText(ServiceUnitPath))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value.Trim());

    [GeneratedRegex(@"^Environment=(?<name>DOTNET_(?!CLI_)\w+)=(?<value>.*)$", RegexOptions.Multiline)]
    private static partial Regex EnvironmentLine();
}
