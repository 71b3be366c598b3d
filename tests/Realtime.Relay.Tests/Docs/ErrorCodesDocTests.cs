using System.Reflection;
using System.Text.RegularExpressions;
using Realtime.Relay.Infrastructure;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Docs;

/// <summary>docs/error-codes.md lists exactly the codes of <see cref="ErrorCodes"/>, each once, with an HTTP status.</summary>
public sealed partial class ErrorCodesDocTests
{
    private static readonly string DocPath = Path.Combine(RepoPaths.Root, "docs", "error-codes.md");

    private static HashSet<string> CodesInErrorCodes() =>
        typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet(StringComparer.Ordinal);

    private static List<(string Code, int Status)> RowsInDoc() =>
        File.ReadAllLines(DocPath).Select(line => Row().Match(line)).Where(m => m.Success)
            .Select(m => (m.Groups["code"].Value, int.Parse(m.Groups["status"].Value))).ToList();

    [Fact]
    public void Every_code_in_ErrorCodes_is_documented_and_the_doc_lists_no_other()
    {
        var documented = RowsInDoc().Select(r => r.Code).ToList();
        var defined = CodesInErrorCodes();
        Assert.NotEmpty(defined);
        Assert.Equal(documented.Count, documented.Distinct(StringComparer.Ordinal).Count()); // each row once
        Assert.Empty(defined.Except(documented)); // missing from docs/error-codes.md
        Assert.Empty(documented.Except(defined)); // documented, but not in ErrorCodes
    }

    [Fact]
    public void Each_code_the_status_fallback_gives_is_documented_with_that_status()
    {
        var rows = RowsInDoc().ToDictionary(r => r.Code, r => r.Status);
        foreach (var status in new[] { 400, 401, 403, 404, 405, 409, 413, 415, 429, 503 })
            Assert.Equal(status, rows[ErrorCodes.ForStatus(status)]);
    }

    // | `code` | 400 | meaning |
    [GeneratedRegex(@"^\|\s*`(?<code>[a-z_]+)`\s*\|\s*(?<status>\d{3})\s*\|")]
    private static partial Regex Row();
}
