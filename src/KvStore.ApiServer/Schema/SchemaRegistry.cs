using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema.Types;

namespace KvStore.ApiServer.Schema;

/// <summary>One field error, as kube-apiserver's StatusCause: reason (FieldValueRequired, FieldValueInvalid,
/// FieldValueNotSupported, FieldValueDuplicate, FieldValueTooLong...), message ("Required value",
/// "Invalid value: \"x\": ...") and field path without a leading dot as kube sends it ("spec.replicas",
/// "spec.template.spec.containers[0].image").</summary>
public sealed record FieldCause(string Reason, string Message, string Field);

/// <summary>The schema of every served kind, strict field validation, and the object validation kube-apiserver does.</summary>
public static partial class SchemaRegistry
{
    private static readonly Dictionary<string, FieldSchema> ByKind = new(StringComparer.Ordinal)
    {
        ["Namespace"] = CoreKinds.Namespace,
        ["Node"] = CoreKinds.Node,
        ["Pod"] = PodTypes.Pod,
        ["Service"] = CoreKinds.Service,
        ["Endpoints"] = CoreKinds.Endpoints,
        ["ConfigMap"] = CoreKinds.ConfigMap,
        ["Secret"] = CoreKinds.Secret,
        ["ServiceAccount"] = CoreKinds.ServiceAccount,
        ["Event"] = CoreKinds.Event,
        ["Deployment"] = AppsKinds.Deployment,
        ["ReplicaSet"] = AppsKinds.ReplicaSet,
        ["StatefulSet"] = AppsKinds.StatefulSet,
        ["DaemonSet"] = AppsKinds.DaemonSet,
        ["Ingress"] = OtherKinds.Ingress,
        ["HorizontalPodAutoscaler"] = OtherKinds.HorizontalPodAutoscaler,
        ["Lease"] = OtherKinds.Lease,
        ["PersistentVolume"] = StorageTypes.PersistentVolume,
        ["PersistentVolumeClaim"] = VolumeTypes.PersistentVolumeClaim,
        ["ResourceQuota"] = PolicyKinds.ResourceQuota,
        ["LimitRange"] = PolicyKinds.LimitRange,
        ["Job"] = BatchKinds.Job,
        ["CronJob"] = BatchKinds.CronJob,
        ["Role"] = RbacKinds.Role,
        ["RoleBinding"] = RbacKinds.RoleBinding,
        ["ClusterRole"] = RbacKinds.ClusterRole,
        ["ClusterRoleBinding"] = RbacKinds.ClusterRoleBinding,
        ["PodDisruptionBudget"] = PolicyKinds.PodDisruptionBudget,
        ["StorageClass"] = StorageTypes.StorageClass,
        ["IngressClass"] = NetworkKinds.IngressClass,
        ["NetworkPolicy"] = NetworkKinds.NetworkPolicy,
        ["EndpointSlice"] = NetworkKinds.EndpointSlice,
    };

    /// <summary>Kinds served at a second version with another schema, by apiVersion and kind.</summary>
    private static readonly Dictionary<(string ApiVersion, string Kind), FieldSchema> ByOtherVersion = new()
    {
        [("autoscaling/v1", "HorizontalPodAutoscaler")] = OtherKinds.HorizontalPodAutoscalerV1,
    };

    /// <summary>The kinds of the wire that are no stored resource: Status, DeleteOptions, Scale, PartialObjectMetadata.</summary>
    private static readonly Dictionary<string, FieldSchema> WireKinds = new(StringComparer.Ordinal)
    {
        ["Status"] = MetaTypes.Status,
        ["DeleteOptions"] = MetaTypes.DeleteOptions,
        ["Scale"] = MetaTypes.Scale,
        ["PartialObjectMetadata"] = MetaTypes.PartialObjectMetadata,
    };

    private static readonly FieldSchema Open = new() { Type = FieldType.Any };

    /// <summary>The schema of the resource's kind (the whole object: apiVersion, kind, metadata, spec, status...); a kind
    /// registered at run time brings its own.</summary>
    public static FieldSchema For(ResourceInfo resource) =>
        resource.Runtime?.Schema ?? BuiltIn(resource) ?? Open;

    private static FieldSchema? BuiltIn(ResourceInfo resource) =>
        ByOtherVersion.GetValueOrDefault((resource.ApiVersion, resource.Kind)) ?? ByKind.GetValueOrDefault(resource.Kind);

    /// <summary>The schema of a kind by name ("Deployment"), or null when none is known.</summary>
    public static FieldSchema? ForKind(string kind) => ByKind.GetValueOrDefault(kind);

    /// <summary>The schema of any kind that travels on the wire, by apiVersion and kind (a custom resource may reuse a
    /// built-in kind's name): a built-in served kind, the CustomResourceDefinition kind (compiled into kube, registered at
    /// run time here), or Status, DeleteOptions, Scale, PartialObjectMetadata; null when none is known.</summary>
    public static FieldSchema? ForWireKind(string apiVersion, string kind)
    {
        if (ResourceCatalog.FindByKind(apiVersion, kind) is { } served) return BuiltIn(served);
        if (apiVersion == "apiextensions.k8s.io/v1" && kind == "CustomResourceDefinition") return ApiExtensionsKinds.CustomResourceDefinition;
        var fits = kind switch
        {
            "Status" => apiVersion == "v1",
            "Scale" => apiVersion == "autoscaling/v1",
            "PartialObjectMetadata" => apiVersion is "meta.k8s.io/v1" or "meta.k8s.io/v1beta1",
            // client-go's typed clients send DeleteOptions in their own group-version (it is registered in every one)
            "DeleteOptions" => true,
            _ => false,
        };
        return fits ? WireKinds.GetValueOrDefault(kind) : null;
    }

    /// <summary>ObjectMeta's schema (metadata of every kind).</summary>
    public static FieldSchema ObjectMeta => MetaTypes.ObjectMeta;

    /// <summary>ListMeta's schema (metadata of every list).</summary>
    public static FieldSchema ListMeta => MetaTypes.ListMeta;

    /// <summary>
    /// fieldValidation=Strict: the paths of fields not declared in the schema, in kube-apiserver's wording
    /// (`unknown field "spec.foo"`, `unknown field "spec.template.spec.containers[0].bar"`, `unknown field
    /// "metadata.foo"`), in document order. Empty when all are known. Duplicate fields cannot be reported: a
    /// <see cref="JsonObject"/> holds each name once (the HTTP layer must detect them while parsing).
    /// </summary>
    public static IReadOnlyList<string> UnknownFields(ResourceInfo resource, JsonObject obj)
    {
        if (resource.Runtime is { } runtime)
            return runtime.UnknownFields(obj);
        var found = new List<string>();
        CollectUnknown(For(resource), obj, "", found);
        return found;
    }

    /// <summary>Unknown fields of any JSON value against any schema node (e.g. a patch body's sub-tree); paths start at
    /// <paramref name="path"/>.</summary>
    public static void CollectUnknown(FieldSchema schema, JsonNode? node, string path, List<string> found) =>
        CollectUndeclared(schema, node, path, FieldPaths.Strict, found);

    /// <summary>
    /// Server-side apply's wording of the same check (structured-merge-diff, as kube-apiserver reports an apply patch
    /// with unknown fields: `failed to create typed patch object (apps/v1, Kind=Deployment): .spec.foo: field not
    /// declared in schema`): paths start with a dot and name list elements by their map keys
    /// (`.spec.template.spec.containers[name="nginx"].foo`). Empty when all are known.
    /// </summary>
    public static IReadOnlyList<string> UndeclaredFields(ResourceInfo resource, JsonObject obj)
    {
        var found = new List<string>();
        CollectUndeclared(For(resource), obj, "", FieldPaths.Apply, found);
        return found;
    }

    /// <summary>How a walk for undeclared fields names them: kube's field paths for fieldValidation
    /// (`unknown field "spec.containers[0].foo"`) or structured-merge-diff's for apply (`.spec.containers[name="x"].foo: ...`).</summary>
    private sealed record FieldPaths(bool Dotted, bool Keyed, Func<string, string> Undeclared)
    {
        public static readonly FieldPaths Strict = new(false, false, path => $"unknown field \"{path}\"");
        public static readonly FieldPaths Apply = new(true, true, path => $"{path}: field not declared in schema");

        public string Child(string path, string name) => Dotted || path.Length > 0 ? $"{path}.{name}" : name;

        public string Element(FieldSchema list, JsonNode? element, int index) => Keyed ? ElementPath(list, element, index) : $"[{index}]";
    }

    private static void CollectUndeclared(FieldSchema schema, JsonNode? node, string path, FieldPaths paths, List<string> found)
    {
        if (node is null)
            return;
        switch (schema.Type)
        {
            case FieldType.Object when node is JsonObject o:
                foreach (var (name, value) in o)
                {
                    if (schema.Properties.TryGetValue(name, out var child))
                        CollectUndeclared(child, value, paths.Child(path, name), paths, found);
                    else
                        found.Add(paths.Undeclared(paths.Child(path, name)));
                }
                break;
            case FieldType.Map when node is JsonObject m && schema.AdditionalProperties is { } valueSchema:
                foreach (var (name, value) in m)
                    CollectUndeclared(valueSchema, value, paths.Child(path, name), paths, found);
                break;
            case FieldType.Array when node is JsonArray a && schema.Items is { } item:
                for (var i = 0; i < a.Count; i++)
                    CollectUndeclared(item, a[i], path + paths.Element(schema, a[i], i), paths, found);
                break;
        }
    }

    /// <summary>structured-merge-diff's path element: [k=v,...] for map lists, [=v] for sets, [i] otherwise.</summary>
    private static string ElementPath(FieldSchema list, JsonNode? element, int index)
    {
        if (list.ListType == "map" && list.ListMapKeys.Count > 0 && element is JsonObject o)
        {
            var keys = list.ListMapKeys.Where(k => o[k] is not null).Select(k => $"{k}={o[k]!.ToJsonString()}").ToList();
            if (keys.Count > 0)
                return "[" + string.Join(",", keys) + "]";
        }
        if (list.ListType == "set" && element is JsonValue v)
            return $"[={v.ToJsonString()}]";
        return $"[{index}]";
    }

    /// <summary>
    /// Values whose JSON type does not fit the schema, worded as kube-apiserver's decoder reports them (a 400
    /// BadRequest, whatever fieldValidation says): `json: cannot unmarshal string into Go struct field
    /// DeploymentSpec.spec.replicas of type int32`, and malformed quantities (`quantities must match the regular
    /// expression ...`). Empty when every value has the declared type.
    /// </summary>
    public static IReadOnlyList<string> TypeErrors(ResourceInfo resource, JsonObject obj)
    {
        var found = new List<string>();
        CollectTypeErrors(For(resource), obj, "", null, found);
        return found;
    }

    private static void CollectTypeErrors(FieldSchema schema, JsonNode? node, string path, string? owner, List<string> found)
    {
        if (node is null || schema.Type == FieldType.Any)
            return;
        var kind = node.GetValueKind();
        var ok = schema.Type switch
        {
            FieldType.Object or FieldType.Map => kind == JsonValueKind.Object,
            FieldType.Array => kind == JsonValueKind.Array,
            FieldType.String => kind == JsonValueKind.String,
            FieldType.Integer => kind == JsonValueKind.Number && IsInteger(node),
            FieldType.Number => kind == JsonValueKind.Number,
            FieldType.Boolean => kind is JsonValueKind.True or JsonValueKind.False,
            FieldType.IntOrString => kind == JsonValueKind.String || (kind == JsonValueKind.Number
                && (schema.Definition?.EndsWith("Quantity") == true || IsInteger(node))),
            _ => true,
        };
        if (ok && schema.Type == FieldType.IntOrString && kind == JsonValueKind.String && IsQuantity(schema) &&
            !QuantityFormat().IsMatch(node.GetValue<string>()))
        {
            found.Add("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
            return;
        }
        if (!ok)
        {
            var jsonKind = kind switch
            {
                JsonValueKind.Object => "object",
                JsonValueKind.Array => "array",
                JsonValueKind.String => "string",
                JsonValueKind.Number => "number",
                JsonValueKind.True or JsonValueKind.False => "bool",
                _ => "value",
            };
            var ownerName = owner is null ? "" : owner[(owner.LastIndexOf('.') + 1)..] + ".";
            found.Add($"json: cannot unmarshal {jsonKind} into Go struct field {ownerName}{path} of type {GoType(schema)}");
            return;
        }
        switch (node)
        {
            case JsonObject o when schema.Type == FieldType.Object:
                foreach (var (name, value) in o)
                    if (schema.Properties.TryGetValue(name, out var child))
                        CollectTypeErrors(child, value, path.Length == 0 ? name : $"{path}.{name}", schema.Definition, found);
                break;
            case JsonObject m when schema.AdditionalProperties is { } valueSchema:
                foreach (var (name, value) in m)
                    CollectTypeErrors(valueSchema, value, $"{path}.{name}", owner, found);
                break;
            case JsonArray a when schema.Items is { } item:
                foreach (var element in a)
                    CollectTypeErrors(item, element, path, owner, found);
                break;
        }
    }

    private static bool IsQuantity(FieldSchema schema) => schema.Definition?.EndsWith(".Quantity", StringComparison.Ordinal) == true;

    /// <summary>kube's Quantity grammar (resource.ParseQuantity): a signed decimal then a suffix (Ki..Ei, n..E, or an
    /// exponent).</summary>
    [GeneratedRegex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(|[numkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)$")]
    private static partial Regex QuantityFormat();

    private static bool IsInteger(JsonNode node) => node.AsValue().TryGetValue<long>(out _) ||
        (node.AsValue().TryGetValue<double>(out var d) && Math.Floor(d) == d);

    private static string GoType(FieldSchema schema) => schema.Type switch
    {
        FieldType.Object => schema.Definition is { } d ? "v1." + d[(d.LastIndexOf('.') + 1)..] : "struct",
        FieldType.Map => "map[string]" + (schema.AdditionalProperties is { } v ? GoType(v) : "string"),
        FieldType.Array => "[]" + (schema.Items is { } i ? GoType(i) : "string"),
        FieldType.String => "string",
        FieldType.Integer => schema.Format ?? "int64",
        FieldType.Number => "float64",
        FieldType.Boolean => "bool",
        FieldType.IntOrString => schema.Definition?.EndsWith("Quantity") == true ? "resource.Quantity" : "intstr.IntOrString",
        _ => "interface {}",
    };
}
