using System.Globalization;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// The JSONPath of a CRD's additionalPrinterColumns (client-go's jsonpath, the part CRDs use): fields (.a.b, ['a.b']),
/// indexes ([0], [-1]), wildcards ([*], .*) and filters ([?(@.type=="Ready")], with ==, !=, &lt;, &gt;, or a bare
/// @.field for existence). Missing keys yield no result (AllowMissingKeys). Held by
/// SchemaRulesTests.PrinterColumnPathsFindWhatJsonPathFinds.
/// </summary>
internal sealed class JsonPath
{
    private abstract record Step;
    private sealed record Field(string Name) : Step;
    private sealed record Index(int At) : Step;
    private sealed record Wildcard : Step;
    private sealed record Filter(JsonPath Left, string? Op, JsonNode? Right) : Step;

    private readonly IReadOnlyList<Step> _steps;

    private JsonPath(IReadOnlyList<Step> steps) => _steps = steps;

    /// <summary>The parsed path, or null with <paramref name="error"/> when it is not one (kube: "unrecognized column definition").</summary>
    public static JsonPath? TryParse(string text, out string? error)
    {
        error = null;
        var steps = new List<Step>();
        var at = 0;
        var t = text.Trim();
        if (t.StartsWith('{') && t.EndsWith('}'))
            t = t[1..^1];
        if (t.StartsWith('$'))
            at = 1;
        while (at < t.Length)
        {
            if (t[at] == '.')
            {
                at++;
                if (at < t.Length && t[at] == '*')
                {
                    steps.Add(new Wildcard());
                    at++;
                    continue;
                }
                var start = at;
                while (at < t.Length && t[at] is not ('.' or '['))
                    at++;
                if (at == start)
                {
                    if (at == t.Length && steps.Count == 0)
                        break;
                    error = $"invalid field name at {start}";
                    return null;
                }
                steps.Add(new Field(t[start..at]));
            }
            else if (t[at] == '[')
            {
                var end = ClosingBracket(t, at);
                if (end < 0)
                {
                    error = "unterminated array";
                    return null;
                }
                var inner = t[(at + 1)..end].Trim();
                at = end + 1;
                if (inner == "*")
                    steps.Add(new Wildcard());
                else if (inner.StartsWith("?(", StringComparison.Ordinal) && inner.EndsWith(')'))
                {
                    if (ParseFilter(inner[2..^1], out error) is not { } filter)
                        return null;
                    steps.Add(filter);
                }
                else if (inner.Length >= 2 && inner[0] is '\'' or '"' && inner[^1] == inner[0])
                    steps.Add(new Field(inner[1..^1]));
                else if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
                    steps.Add(new Index(index));
                else
                {
                    error = $"invalid array index {inner}";
                    return null;
                }
            }
            else
            {
                error = $"unrecognized character in action: {t[at]}";
                return null;
            }
        }
        return new JsonPath(steps);
    }

    private static int ClosingBracket(string t, int open)
    {
        var depth = 0;
        char? quote = null;
        for (var i = open; i < t.Length; i++)
        {
            var c = t[i];
            if (quote is { } q)
            {
                if (c == q) quote = null;
                continue;
            }
            if (c is '\'' or '"') quote = c;
            else if (c == '[') depth++;
            else if (c == ']' && --depth == 0) return i;
        }
        return -1;
    }

    private static Filter? ParseFilter(string expression, out string? error)
    {
        error = null;
        foreach (var op in new[] { "==", "!=", "<=", ">=", "<", ">" })
        {
            var at = expression.IndexOf(op, StringComparison.Ordinal);
            if (at < 0)
                continue;
            var left = expression[..at].Trim();
            var right = expression[(at + op.Length)..].Trim();
            if (!left.StartsWith('@') || TryParse(left[1..], out error) is not { } leftPath)
            {
                error ??= $"unrecognized filter {expression}";
                return null;
            }
            JsonNode? literal;
            if (right.Length >= 2 && right[0] is '\'' or '"' && right[^1] == right[0])
                literal = JsonValue.Create(right[1..^1]);
            else if (double.TryParse(right, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                literal = JsonValue.Create(number);
            else
            {
                error = $"unrecognized filter value {right}";
                return null;
            }
            return new Filter(leftPath, op, literal);
        }
        if (expression.Trim().StartsWith('@') && TryParse(expression.Trim()[1..], out error) is { } exists)
            return new Filter(exists, null, null);
        error ??= $"unrecognized filter {expression}";
        return null;
    }

    /// <summary>Every value the path reaches in <paramref name="root"/>, in order.</summary>
    public IReadOnlyList<JsonNode?> Find(JsonNode? root)
    {
        IEnumerable<JsonNode?> current = [root];
        foreach (var step in _steps)
            current = current.SelectMany(node => Apply(step, node)).ToList();
        return current.ToList();
    }

    private static IEnumerable<JsonNode?> Apply(Step step, JsonNode? node)
    {
        switch (step)
        {
            case Field f when node is JsonObject o && o.TryGetPropertyValue(f.Name, out var value):
                yield return value;
                break;
            case Index i when node is JsonArray a:
                var at = i.At < 0 ? a.Count + i.At : i.At;
                if (at >= 0 && at < a.Count)
                    yield return a[at];
                break;
            case Wildcard when node is JsonArray a:
                foreach (var item in a)
                    yield return item;
                break;
            case Wildcard when node is JsonObject o:
                foreach (var (_, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                    yield return value;
                break;
            case Filter f when node is JsonArray a:
                foreach (var item in a)
                    if (Matches(f, item))
                        yield return item;
                break;
        }
    }

    private static bool Matches(Filter f, JsonNode? item)
    {
        var found = f.Left.Find(item);
        if (f.Op is null)
            return found.Count > 0;
        foreach (var value in found)
        {
            int? compared = (JsonValues.String(value), JsonValues.String(f.Right)) switch
            {
                ({ } a, { } b) => string.CompareOrdinal(a, b),
                _ when JsonValues.TryNumber(value, out var x) && JsonValues.TryNumber(f.Right, out var y) => x.CompareTo(y),
                _ => null,
            };
            var match = f.Op switch
            {
                "==" => compared == 0,
                "!=" => compared is not 0,
                "<" => compared < 0,
                ">" => compared > 0,
                "<=" => compared <= 0,
                ">=" => compared >= 0,
                _ => false,
            };
            if (match)
                return true;
        }
        return false;
    }

    /// <summary>A value as jsonpath prints it: strings bare, other scalars as Go prints them, objects and arrays as JSON.</summary>
    public static string Text(JsonNode? value) => value switch
    {
        null => "<nil>",
        JsonObject or JsonArray => value.ToJsonString(),
        _ => JsonValues.String(value) ?? value.ToJsonString(),
    };
}
