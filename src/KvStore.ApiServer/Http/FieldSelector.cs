using System.Text.Json;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Http;

/// <summary>
/// A field selector (k8s.io/apimachinery/pkg/fields): comma-separated <c>path=value</c>, <c>path==value</c>,
/// <c>path!=value</c> over the fields kube-apiserver indexes for the resource (metadata.name and
/// metadata.namespace everywhere; pods' spec.nodeName, status.phase...; events' involvedObject.*...).
/// </summary>
public sealed class FieldSelector
{
    private sealed record Requirement(string Field, bool Equal, string Value);

    private static readonly string[] Common = ["metadata.name", "metadata.namespace"];

    /// <summary>The extra fields kube-apiserver accepts per resource (its GetAttrs / field label conversion funcs).</summary>
    private static readonly Dictionary<string, string[]> Extra = new()
    {
        ["pods"] = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
            "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"],
        ["events"] = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
            "reportingComponent", "source", "type"],
        ["secrets"] = ["type"],
        ["namespaces"] = ["status.phase"],
        ["nodes"] = ["spec.unschedulable"],
        ["replicasets"] = ["status.replicas"],
        ["replicationcontrollers"] = ["status.replicas"],
    };

    private readonly List<Requirement> _requirements;

    private FieldSelector(List<Requirement> requirements) => _requirements = requirements;

    public static readonly FieldSelector Everything = new([]);

    /// <summary>The single metadata.name=X requirement, if that is what the selector is (a watch on one object).</summary>
    public string? SingleName =>
        _requirements is [{ Field: "metadata.name", Equal: true } r] ? r.Value : null;

    public static FieldSelector Parse(string? text, ResourceInfo resource)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var requirements = new List<Requirement>();
        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            string field, value;
            bool equal;
            int at;
            if ((at = term.IndexOf("!=", StringComparison.Ordinal)) > 0)
            {
                (field, value, equal) = (term[..at], term[(at + 2)..], false);
            }
            else if ((at = term.IndexOf("==", StringComparison.Ordinal)) > 0)
            {
                (field, value, equal) = (term[..at], term[(at + 2)..], true);
            }
            else if ((at = term.IndexOf('=')) > 0)
            {
                (field, value, equal) = (term[..at], term[(at + 1)..], true);
            }
            else
            {
                throw ApiError.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            }
            field = field.Trim();
            if (!Common.Contains(field) && !(resource.Runtime is null && Extra.TryGetValue(resource.Resource, out var extra)
                && extra.Contains(field)))
            {
                throw ApiError.BadRequest($"field label not supported: {field}");
            }
            requirements.Add(new(field, equal, value.Trim()));
        }
        return new FieldSelector(requirements);
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var r in _requirements)
        {
            var actual = ValueAt(obj, r.Field);
            if ((actual == r.Value) != r.Equal) return false;
        }
        return true;
    }

    /// <summary>Whether the selectable fields <paramref name="fields"/> (from <see cref="Attributes"/>) satisfy every requirement.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> fields)
    {
        foreach (var r in _requirements)
        {
            var actual = fields.TryGetValue(r.Field, out var value) ? value : "";
            if ((actual == r.Value) != r.Equal) return false;
        }
        return true;
    }

    /// <summary>Every field a selector on <paramref name="resource"/> may name, with its value in <paramref name="obj"/>
    /// (kube's GetAttrs: what the watch cache keeps to filter without the object).</summary>
    public static Dictionary<string, string> Attributes(ResourceInfo resource, JsonObject obj)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in Common) fields[field] = ValueAt(obj, field);
        if (resource.Runtime is null && Extra.TryGetValue(resource.Resource, out var extra))
        {
            foreach (var field in extra) fields[field] = ValueAt(obj, field);
        }
        return fields;
    }

    /// <summary>The field's value as kube's field set has it: strings as is, booleans and numbers formatted,
    /// a missing field "" (events' source is source.component).</summary>
    private static string ValueAt(JsonObject obj, string path)
    {
        if (path == "source") path = "source.component";
        if (path == "status.podIPs") path = "status.podIP";
        JsonNode? node = obj;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
            if (node is null) return path == "spec.unschedulable" || path == "spec.hostNetwork" ? "false" : "";
        }
        return node switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
            JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
            _ => node.ToJsonString(),
        };
    }
}
