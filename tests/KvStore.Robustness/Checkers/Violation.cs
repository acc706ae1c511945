using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>
/// One broken rule found in a history: Kind names the rule (e.g. "stale-read", "watch-gap"), Message says what was
/// seen against what was expected, the ids name the operations and watches involved, Excerpt shows them.
/// </summary>
public sealed record Violation(string Kind, string Message, IReadOnlyList<long> OperationIds, IReadOnlyList<long> WatchIds, string Excerpt)
{
    public static Violation Of(string kind, string message, params Operation[] operations) =>
        new(kind, message, operations.Select(o => o.Id).ToArray(), [], string.Join("\n", operations.Select(Describe.Operation)));

    public static Violation OfWatch(string kind, string message, WatchRecord watch, string excerpt) =>
        new(kind, message, [], [watch.Id], excerpt);

    public override string ToString()
    {
        var ids = OperationIds.Count > 0 ? $" ops [{string.Join(", ", OperationIds)}]" : "";
        var watches = WatchIds.Count > 0 ? $" watches [{string.Join(", ", WatchIds)}]" : "";
        var excerpt = Excerpt.Length == 0 ? "" : "\n    " + Excerpt.Replace("\n", "\n    ", StringComparison.Ordinal);
        return $"{Kind}: {Message}{ids}{watches}{excerpt}";
    }
}
