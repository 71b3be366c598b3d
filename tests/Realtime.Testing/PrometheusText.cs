using System.Globalization;

namespace Realtime.Testing;

/// <summary>
/// Reads a /metrics page (Prometheus' text format) the way the tests and the bench need it: samples by series, a metric
/// summed over its labels, one series' value.
/// </summary>
public static class PrometheusText
{
    /// <summary>Every sample line as its series (the name with its labels, as written) and its value; comments are skipped.</summary>
    public static IEnumerable<(string Series, double Value)> Samples(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            var space = line.LastIndexOf(' ');
            if (space <= 0 || line[0] == '#') continue;
            yield return (line[..space], double.Parse(line.AsSpan(space + 1), CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The metric <paramref name="name"/> summed over all its series (every label set); 0 when the page has none.</summary>
    public static double Sum(string text, string name) =>
        Samples(text).Where(s => s.Series == name || s.Series.StartsWith(name + "{", StringComparison.Ordinal)).Sum(s => s.Value);

    /// <summary>One series exactly as written (e.g. <c>dotnet_collection_count_total{generation="0"}</c>); null when the page lacks it.</summary>
    public static double? Value(string text, string series) =>
        Samples(text).Where(s => s.Series == series).Select(s => (double?)s.Value).FirstOrDefault();
}
