using System.Diagnostics;

namespace Realtime.Bench;

/// <summary>One line of the final table; <see cref="Met"/> is null for figures without a target.</summary>
public sealed record Figure(string Scenario, string Name, string Value, string Target = "", bool? Met = null);

/// <summary>Progress lines and the figures each scenario reports.</summary>
public static class Report
{
    private static readonly long Start = Stopwatch.GetTimestamp();
    public static readonly List<Figure> Figures = [];

    public static void Progress(string scenario, string message) =>
        Console.WriteLine($"[{Stopwatch.GetElapsedTime(Start).TotalSeconds,7:0.0}s] {scenario}: {message}");

    public static void Add(Figure figure)
    {
        lock (Figures) Figures.Add(figure);
    }

    public static void PrintTable()
    {
        var rows = Figures.Select(f => new[]
        {
            f.Scenario, f.Name, f.Value, f.Target, f.Met switch { true => "met", false => "NOT met", null => "" },
        }).ToList();
        string[] head = ["scenario", "figure", "value", "target", "result"];
        var widths = Enumerable.Range(0, head.Length).Select(i => rows.Select(r => r[i].Length).Append(head[i].Length).Max()).ToArray();
        Console.WriteLine();
        Console.WriteLine(Line(head));
        Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var r in rows) Console.WriteLine(Line(r));
        Console.WriteLine();
        var targets = Figures.Where(f => f.Met is not null).ToList();
        Console.WriteLine($"targets: {targets.Count(f => f.Met == true)} met, {targets.Count(f => f.Met == false)} NOT met" +
                          (targets.Any(f => f.Met == false) ? " (" + string.Join("; ", targets.Where(f => f.Met == false).Select(f => f.Scenario + " " + f.Name)) + ")" : ""));

        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
    }
}

public static class Percentiles
{
    /// <summary>Nearest-rank percentile of an ascending list.</summary>
    public static double Of(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
