using System.Text.Json.Nodes;
using KvStore.ApiServer.Printing;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// One served version of a CRD as a kind registered at run time (kube's customResourceStrategy with that version's
/// structural schema): on create and update unknown fields are pruned, defaults applied, status dropped on create when
/// the status subresource is served, and the object stored at the storage version (conversion None: only apiVersion
/// changes); validation is the schema's; the Table has the version's printer columns; while the CRD is terminating nothing
/// is created. Held by
/// CustomResourceKubectlTests (the CronTab and Widget flows).
/// </summary>
internal sealed class CustomResourceKind : IRuntimeKind
{
    private readonly SchemaNode _schema;
    private readonly CrdVersion _version;
    private readonly string _storageApiVersion;

    public CustomResourceKind(Crd crd, CrdVersion version, CrdNames names)
    {
        _version = version;
        AcceptsCreate = !crd.Terminating;
        _schema = SchemaNode.Parse(version.Schema ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true });
        _storageApiVersion = $"{crd.Group}/{crd.StorageVersion?.Name ?? version.Name}";
        // kube's OpenAPI definition name: the group reversed, the version, the kind ("com.example.stable.v1.CronTab")
        Schema = SchemaTree.Root(_schema, $"{string.Join('.', crd.Group.Split('.').Reverse())}.{version.Name}.{names.Kind}");
        Printer = CustomResourcePrinter.For(version.Columns);
        Scale = version.Scale is { } s ? new ScalePaths(s.SpecReplicasPath, s.StatusReplicasPath, s.LabelSelectorPath) : null;
    }

    public FieldSchema Schema { get; }

    public Printer? Printer { get; }

    public ScalePaths? Scale { get; }

    public bool AcceptsCreate { get; }

    public JsonObject? OpenApiDefinition()
    {
        var definition = (JsonObject)_schema.Raw.DeepClone();
        definition["type"] ??= "object";
        var declared = definition["properties"] as JsonObject ?? [];
        var properties = new JsonObject
        {
            ["apiVersion"] = new JsonObject
            {
                ["description"] =
                    "APIVersion defines the versioned schema of this representation of an object. " +
                    "Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: " +
                    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
                ["type"] = "string",
            },
            ["kind"] = new JsonObject
            {
                ["description"] =
                    "Kind is a string value representing the REST resource this object represents. " +
                    "Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: " +
                    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                ["type"] = "string",
            },
            ["metadata"] = new JsonObject
            {
                ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }),
                ["description"] =
                    "Standard object's metadata. More info: " +
                    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
            },
        };
        foreach (var (name, value) in declared.OrderBy(p => p.Key, StringComparer.Ordinal))
            if (!properties.ContainsKey(name))
                properties[name] = value?.DeepClone();
        definition["properties"] = properties;
        return definition;
    }

    public IReadOnlyList<string> UnknownFields(JsonObject obj) => Pruning.Prune((JsonObject)obj.DeepClone(), _schema);

    public void Prepare(JsonObject obj, JsonObject? old)
    {
        if (old is null && _version.Status)
            obj.Remove("status");
        Pruning.Prune(obj, _schema);
        Defaulting.Apply(obj, _schema);
        obj["apiVersion"] = _storageApiVersion;
    }

    public void Validate(JsonObject obj, JsonObject? old, List<FieldCause> errors)
    {
        var content = new JsonObject();
        foreach (var (name, value) in obj)
            if (name is not ("apiVersion" or "kind" or "metadata"))
                content[name] = value?.DeepClone();
        SchemaValidator.Validate(_schema, content, "", errors);
    }
}
