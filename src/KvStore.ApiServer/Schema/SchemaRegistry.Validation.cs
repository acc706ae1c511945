using System.Text.Json;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.Schema;

public static partial class SchemaRegistry
{
    /// <summary>
    /// The validation kube-apiserver does on create/update (names are DNS-1123, required fields, value ranges...):
    /// the causes of a 422 Invalid; empty when valid. <paramref name="old"/> is the stored object on update.
    /// Covers ObjectMeta (name, namespace, labels, annotations), pod specs (also in templates), services,
    /// workload selectors, ingresses, HPAs, config maps/secrets, leases, events and the usual immutable fields; a kind
    /// registered at run time adds its own.
    /// </summary>
    public static IReadOnlyList<FieldCause> Validate(ResourceInfo resource, JsonObject obj, JsonObject? old)
    {
        var errors = new List<FieldCause>();
        ObjectValidation.Meta(resource, obj, old, errors);
        if (resource.Runtime is { } runtime)
        {
            runtime.Validate(obj, old, errors);
            return errors;
        }
        var spec = obj["spec"] as JsonObject;
        switch (resource.Kind)
        {
            case "Pod":
                if (spec is null)
                    errors.Add(Required("spec.containers"));
                else
                    PodValidation.Spec(spec, "spec", errors);
                if (old is not null && spec is not null && old["spec"] is JsonObject oldSpec)
                    PodValidation.Update(spec, oldSpec, errors);
                break;
            case "Service":
                ServiceValidation.Spec(spec ?? [], old?["spec"] as JsonObject, errors);
                break;
            case "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet":
                WorkloadValidation.Spec(resource.Kind, spec ?? [], old?["spec"] as JsonObject, errors);
                break;
            case "Ingress":
                ObjectValidation.Ingress(spec, errors);
                break;
            case "HorizontalPodAutoscaler":
                ObjectValidation.Hpa(spec ?? [], errors);
                break;
            case "ConfigMap" or "Secret":
                ObjectValidation.DataKeys(resource.Kind, obj, old, errors);
                break;
            case "Lease":
                ObjectValidation.Lease(spec, errors);
                break;
            case "Event":
                ObjectValidation.Event(obj, errors);
                break;
            case "Namespace":
                break;
            default:
                KindValidation.Validate(resource.Kind, obj, old, errors);
                break;
        }
        return errors;
    }
}

/// <summary>Reading helpers over System.Text.Json nodes that never throw on a wrong JSON type.</summary>
internal static class Json
{
    public static string? Str(this JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static long? Int(this JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l) ? l : null;

    public static JsonObject? Obj(this JsonNode? node, string name) => node is JsonObject o ? o[name] as JsonObject : null;

    public static IEnumerable<(int Index, JsonObject Item)> Items(this JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonArray a
            ? a.Select((n, i) => (i, n as JsonObject)).Where(p => p.Item2 is not null).Select(p => (p.i, p.Item2!))
            : [];

    public static int Count(this JsonNode? node, string name) => node is JsonObject o && o[name] is JsonArray a ? a.Count : 0;

    /// <summary>A map[string]string field (labels), skipping non-string values.</summary>
    public static Dictionary<string, string> StrMap(this JsonNode? node, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject o && o[name] is JsonObject m)
            foreach (var (k, v) in m)
                if (v is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                    map[k] = value.GetValue<string>();
        return map;
    }
}
