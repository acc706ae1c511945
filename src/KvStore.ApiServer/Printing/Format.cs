using System.Globalization;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>
/// The formatting helpers kube's printers share: apimachinery's duration.HumanDuration, labels.FormatLabels,
/// metav1.FormatLabelSelector and the container name/image layout.
/// </summary>
internal static class Format
{
    /// <summary>apimachinery duration.HumanDuration: ~2-3 significant figures ("45s", "3m2s", "15m", "5h3m", "3d4h", "2y10d").</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds; // truncates toward zero as Go's int(d.Seconds())
        if (seconds < -1)
            return "<invalid>";
        if (seconds < 0)
            return "0s";
        if (seconds < 60 * 2)
            return $"{seconds}s";
        var minutes = seconds / 60;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }
        if (minutes < 60 * 3)
            return $"{minutes}m";
        var hours = seconds / 3600;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }
        if (hours < 48)
            return $"{hours}h";
        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }
        if (hours < 24 * 365 * 2)
            return $"{hours / 24}d";
        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{dy}d";
        }
        return $"{hours / 24 / 365}y";
    }

    /// <summary>translateTimestampSince: "&lt;unknown&gt;" for a zero time, else the HumanDuration since it.</summary>
    public static string Since(DateTimeOffset? t, DateTimeOffset now) =>
        t is { } time ? HumanDuration(now - time) : "<unknown>";

    /// <summary>labels.FormatLabels: "k=v,k2=v2" sorted by key, "&lt;none&gt;" when empty.</summary>
    public static string Labels(IEnumerable<KeyValuePair<string, string>> labels)
    {
        var s = string.Join(",", labels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        return s.Length == 0 ? "<none>" : s;
    }

    /// <summary>
    /// metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key, matchLabels as "k=v", expressions as
    /// "k in (a,b)", "k notin (a,b)", "k", "!k" with values sorted; "" for a missing or empty selector;
    /// null when an operator is invalid (kube's error path).
    /// </summary>
    public static string? Selector(JsonNode? selector)
    {
        if (selector is not JsonObject)
            return "";
        var reqs = new List<(string Key, string Text)>();
        foreach (var (k, v) in Json.StringMap(selector, "matchLabels"))
            reqs.Add((k, $"{k}={v}"));
        foreach (var e in Json.Objects(selector, "matchExpressions"))
        {
            var key = Json.Str(e, "key");
            var values = Json.Strings(e, "values").ToList();
            var joined = values.Count == 1 ? values[0] : string.Join(",", values.Order(StringComparer.Ordinal));
            string? text = Json.Str(e, "operator") switch
            {
                "In" => $"{key} in ({joined})",
                "NotIn" => $"{key} notin ({joined})",
                "Exists" => key,
                "DoesNotExist" => "!" + key,
                _ => null,
            };
            if (text is null)
                return null;
            reqs.Add((key, text));
        }
        // sort.Sort(ByKey) is not stable; requirements with the same key are rare enough that order among them is moot.
        return string.Join(",", reqs.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Text));
    }

    /// <summary>metav1.FormatLabelSelector: the selector string, "&lt;none&gt;" when empty, "&lt;error&gt;" when invalid.</summary>
    public static string LabelSelector(JsonNode? selector) => Selector(selector) switch
    {
        null => "<error>",
        "" => "<none>",
        var s => s,
    };

    /// <summary>layoutContainerCells: container names and images, each comma-joined.</summary>
    public static (string Names, string Images) Containers(JsonNode? podSpec)
    {
        var containers = Json.Objects(podSpec, "containers").ToList();
        return (string.Join(",", containers.Select(c => Json.Str(c, "name"))),
                string.Join(",", containers.Select(c => Json.Str(c, "image"))));
    }

    public static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);
}
