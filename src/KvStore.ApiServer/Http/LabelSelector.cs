using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Http;

/// <summary>
/// A label selector in kube's string syntax (k8s.io/apimachinery/pkg/labels/selector.go): comma-separated
/// requirements <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c>, <c>!k</c>;
/// all must hold. <c>!=</c> and <c>notin</c> also match objects without the label, as kube's do.
/// </summary>
public sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static readonly LabelSelector Everything = new([]);

    public bool IsEverything => _requirements.Count == 0;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ApiError"/> BadRequest with kube's wording when malformed.</summary>
    public static LabelSelector Parse(string? text)
    {
        var requirements = new List<Requirement>();
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        foreach (var part in SplitTopLevel(text))
        {
            var term = part.Trim();
            if (term.Length == 0) throw Bad(text, "found ',', expected: !, identifier, or 'end of string'");
            requirements.Add(ParseRequirement(term, text));
        }
        return new LabelSelector(requirements);
    }

    private static Requirement ParseRequirement(string term, string whole)
    {
        if (term.StartsWith('!'))
        {
            var key = term[1..].Trim();
            CheckKey(key, whole);
            return new(key, Op.DoesNotExist, []);
        }
        foreach (var (token, op) in new[] { (" notin ", Op.NotIn), (" in ", Op.In) })
        {
            var at = term.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = term[..at].Trim();
                var rest = term[(at + token.Length)..].Trim();
                if (!rest.StartsWith('(') || !rest.EndsWith(')')) throw Bad(whole, "found '" + rest + "', expected: '('");
                var values = rest[1..^1].Split(',').Select(v => v.Trim()).ToList();
                CheckKey(key, whole);
                return new(key, op, values);
            }
        }
        foreach (var (token, op) in new[] { ("!=", Op.NotEquals), ("==", Op.Equals), ("=", Op.Equals) })
        {
            var at = term.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = term[..at].Trim();
                var value = term[(at + token.Length)..].Trim();
                CheckKey(key, whole);
                CheckValue(value, whole);
                return new(key, op, [value]);
            }
        }
        CheckKey(term, whole);
        return new(term, Op.Exists, []);
    }

    private static void CheckKey(string key, string whole)
    {
        if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
        {
            throw Bad(whole, $"invalid label key \"{key}\"");
        }
    }

    private static void CheckValue(string value, string whole)
    {
        if (value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw Bad(whole, $"invalid label value: \"{value}\"");
        }
    }

    private static ApiError Bad(string whole, string why) =>
        ApiError.BadRequest($"unable to parse requirement: {why} (selector \"{whole}\")");

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    public bool Matches(JsonObject obj)
    {
        if (_requirements.Count == 0) return true;
        return Matches(Labels(obj));
    }

    /// <summary>Whether <paramref name="labels"/> (an object's, as the watch cache keeps them) satisfy every requirement.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var r in _requirements)
        {
            string? value = labels.TryGetValue(r.Key, out var s) ? s : null;
            var ok = r.Op switch
            {
                Op.Exists => value is not null,
                Op.DoesNotExist => value is null,
                Op.Equals => value == r.Values[0],
                Op.NotEquals => value != r.Values[0],
                Op.In => value is not null && r.Values.Contains(value),
                Op.NotIn => value is null || !r.Values.Contains(value),
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>The object's string-valued metadata.labels.</summary>
    public static Dictionary<string, string> Labels(JsonObject obj)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"]?["labels"] is JsonObject map)
        {
            foreach (var (key, value) in map)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var s)) labels[key] = s;
            }
        }
        return labels;
    }
}
