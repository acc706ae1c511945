using System.Globalization;
using System.Text;

namespace KvStore.Robustness.Checkers;

/// <summary>What <see cref="Checks.Run"/> found: the violations (none for a correct run) and the availability statistics.</summary>
public sealed record CheckReport(IReadOnlyList<Violation> Violations, AvailabilityStats Availability, int Operations, int Watches, TimeSpan Took)
{
    public bool Ok => Violations.Count == 0;

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"checked {Operations} operations and {Watches} watches in {Took.TotalSeconds:0.00} s: {(Ok ? "no violations" : $"{Violations.Count} violations")}");
        foreach (var group in Violations.GroupBy(v => v.Kind))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{group.Key}: {group.Count()}");
            foreach (var v in group.Take(10))
            {
                text.AppendLine("  " + v.ToString().Replace("\n", "\n  ", StringComparison.Ordinal));
            }
        }
        text.Append(Availability.ToTable());
        return text.ToString();
    }
}
