using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Tests.Patching;

/// <summary>
/// Hand-built FieldSchema trees for the fields the patch tests touch, with the patch tags of the Go types
/// (k8s.io/api core/v1 and apps/v1): enough to test Patching before SchemaRegistry serves the real ones.
/// </summary>
internal static class TestSchemas
{
    private static readonly FieldSchema Str = new() { Type = FieldType.String };
    private static readonly FieldSchema Int = new() { Type = FieldType.Integer };
    private static readonly FieldSchema StringMap = new() { Type = FieldType.Map, AdditionalProperties = Str };

    private static FieldSchema Obj(params (string Name, FieldSchema Schema)[] fields) =>
        new() { Type = FieldType.Object, Properties = fields.ToDictionary(f => f.Name, f => f.Schema) };

    private static FieldSchema MergeList(FieldSchema items, string key, string strategy = "merge", params string[] mapKeys) => new()
    {
        Type = FieldType.Array,
        Items = items,
        PatchMergeKey = key,
        PatchStrategy = strategy,
        ListType = "map",
        ListMapKeys = mapKeys.Length > 0 ? mapKeys : [key],
    };

    private static FieldSchema AtomicList(FieldSchema items) => new() { Type = FieldType.Array, Items = items, ListType = "atomic" };

    public static readonly FieldSchema ObjectMeta = Obj(
        ("name", Str), ("namespace", Str), ("uid", Str), ("resourceVersion", Str), ("generation", Int),
        ("creationTimestamp", Str), ("labels", StringMap), ("annotations", StringMap),
        ("finalizers", new FieldSchema { Type = FieldType.Array, Items = Str, PatchStrategy = "merge", ListType = "set" }),
        ("managedFields", AtomicList(new FieldSchema { Type = FieldType.Any })));

    public static readonly FieldSchema Container = Obj(
        ("name", Str), ("image", Str), ("imagePullPolicy", Str),
        ("command", AtomicList(Str)), ("args", AtomicList(Str)),
        ("ports", MergeList(Obj(("containerPort", Int), ("protocol", Str), ("name", Str)), "containerPort", "merge", "containerPort", "protocol")),
        ("env", MergeList(Obj(("name", Str), ("value", Str)), "name")),
        ("volumeMounts", MergeList(Obj(("name", Str), ("mountPath", Str), ("readOnly", new FieldSchema { Type = FieldType.Boolean })), "mountPath")),
        ("resources", Obj(("limits", StringMap), ("requests", StringMap))));

    public static readonly FieldSchema Volume = Obj(
        ("name", Str),
        ("configMap", Obj(("name", Str))),
        ("emptyDir", Obj(("medium", Str))),
        ("secret", Obj(("secretName", Str))));

    public static readonly FieldSchema PodSpec = Obj(
        ("containers", MergeList(Container, "name")),
        ("initContainers", MergeList(Container, "name")),
        ("volumes", MergeList(Volume, "name", "merge,retainKeys")),
        ("nodeSelector", StringMap),
        ("tolerations", AtomicList(Obj(("key", Str), ("operator", Str), ("effect", Str)))),
        ("restartPolicy", Str));

    public static readonly FieldSchema Deployment = Obj(
        ("apiVersion", Str), ("kind", Str), ("metadata", ObjectMeta),
        ("spec", Obj(
            ("replicas", Int),
            ("selector", Obj(("matchLabels", StringMap))),
            ("strategy", new FieldSchema
            {
                Type = FieldType.Object,
                PatchStrategy = "retainKeys",
                Properties = new Dictionary<string, FieldSchema>
                {
                    ["type"] = Str,
                    ["rollingUpdate"] = Obj(("maxSurge", new FieldSchema { Type = FieldType.IntOrString }), ("maxUnavailable", new FieldSchema { Type = FieldType.IntOrString })),
                },
            }),
            ("template", Obj(("metadata", ObjectMeta), ("spec", PodSpec))))),
        ("status", Obj(("replicas", Int), ("readyReplicas", Int))));

    public static readonly FieldSchema ConfigMap = Obj(
        ("apiVersion", Str), ("kind", Str), ("metadata", ObjectMeta), ("data", StringMap));

    public static readonly FieldSchema Service = Obj(
        ("apiVersion", Str), ("kind", Str), ("metadata", ObjectMeta),
        ("spec", Obj(
            ("type", Str), ("clusterIP", Str), ("selector", StringMap),
            ("ports", MergeList(Obj(("name", Str), ("port", Int), ("targetPort", new FieldSchema { Type = FieldType.IntOrString }), ("protocol", Str)), "port", "merge", "port", "protocol")))));
}
