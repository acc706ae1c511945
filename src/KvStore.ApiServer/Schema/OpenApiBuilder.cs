using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema.Types;

namespace KvStore.ApiServer.Schema;

/// <summary>Builds one group-version's OpenAPI v3 document: paths with kube's operations and parameters, and
/// components/schemas from the FieldSchema trees (shared definitions by $ref, as kube-openapi emits them).</summary>
internal sealed partial class OpenApiBuilder
{
    private const string MetaPrefix = "io.k8s.apimachinery.pkg.apis.meta.v1.";
    private readonly JsonObject _schemas = new();
    private readonly Dictionary<string, FieldSchema> _registered = new(StringComparer.Ordinal);

    /// <summary>The document of one group-version's <paramref name="resources"/>.</summary>
    public static JsonObject Build(IReadOnlyList<ResourceInfo> resources)
    {
        var builder = new OpenApiBuilder();
        var paths = new JsonObject();
        foreach (var r in resources)
        {
            builder.AddKind(r);
            builder.AddPaths(r, paths);
        }
        builder.AddCommon(resources.Any(r => r.Subresources.Contains("scale")));
        var sorted = new JsonObject();
        foreach (var name in builder._schemas.Select(p => p.Key).Order(StringComparer.Ordinal).ToList())
            sorted[name] = builder._schemas[name]!.DeepClone();
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = sorted,
                ["securitySchemes"] = new JsonObject
                {
                    ["BearerToken"] = new JsonObject
                    {
                        ["type"] = "apiKey", ["name"] = "authorization", ["in"] = "header",
                        ["description"] = "Bearer Token authentication",
                    },
                },
            },
        };
    }

    private static string DefinitionOf(ResourceInfo r) => SchemaRegistry.For(r).Definition ?? $"{r.Group}.{r.Version}.{r.Kind}";

    private static JsonArray Gvk(string group, string version, string kind) =>
        [new JsonObject { ["group"] = group, ["kind"] = kind, ["version"] = version }];

    private void AddKind(ResourceInfo r)
    {
        var schema = SchemaRegistry.For(r);
        var def = DefinitionOf(r);
        JsonObject node;
        if (r.Runtime?.OpenApiDefinition() is { } runtimeDefinition)
        {
            node = runtimeDefinition;
            Register(MetaTypes.ObjectMeta);
        }
        else
        {
            node = ToOpenApi(schema, topLevel: true);
        }
        node["x-kubernetes-group-version-kind"] = Gvk(r.Group, r.Version, r.Kind);
        _schemas[def] = node;
        _registered[def] = schema;

        var listDef = def + "List";
        _schemas[listDef] = new JsonObject
        {
            ["description"] = $"{r.ListKind} is a list of {r.Kind} objects.",
            ["type"] = "object",
            ["required"] = new JsonArray("items"),
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = new JsonObject { ["description"] = "APIVersion defines the versioned schema of this representation of an object.",
                    ["type"] = "string" },
                ["items"] = new JsonObject
                {
                    ["description"] = $"List of {r.Resource}.",
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["default"] = new JsonObject(), ["allOf"] = new JsonArray(Ref(def)) },
                },
                ["kind"] = new JsonObject { ["description"] = "Kind is a string value representing the REST resource this object represents.",
                    ["type"] = "string" },
                ["metadata"] = new JsonObject { ["default"] = new JsonObject(), ["description"] = "Standard list metadata.", ["allOf"] =
                    new JsonArray(Ref(MetaPrefix + "ListMeta")) },
            },
            ["x-kubernetes-group-version-kind"] = Gvk(r.Group, r.Version, r.ListKind),
        };
        Register(MetaTypes.ListMeta);
    }

    private void AddCommon(bool scale)
    {
        JsonObject Obj(string description, JsonObject properties) =>
            new() { ["description"] = description, ["type"] = "object", ["properties"] = properties };
        JsonObject Str(string description) => new() { ["description"] = description, ["type"] = "string" };
        _schemas[MetaPrefix + "Status"] = Obj("Status is a return value for calls that don't return other objects.", new JsonObject
        {
            ["apiVersion"] = Str("APIVersion defines the versioned schema of this representation of an object."),
            ["code"] = new JsonObject { ["description"] = "Suggested HTTP return code for this status, 0 if not set.", ["type"] = "integer",
                ["format"] = "int32" },
            ["details"] = new JsonObject { ["description"] = "Extended data associated with the reason.", ["type"] = "object",
                ["x-kubernetes-preserve-unknown-fields"] = true },
            ["kind"] = Str("Kind is a string value representing the REST resource this object represents."),
            ["message"] = Str("A human-readable description of the status of this operation."),
            ["metadata"] = new JsonObject { ["default"] = new JsonObject(), ["allOf"] = new JsonArray(Ref(MetaPrefix + "ListMeta")) },
            ["reason"] = Str("A machine-readable description of why this operation is in the \"Failure\" status."),
            ["status"] = Str("Status of the operation. One of: \"Success\" or \"Failure\"."),
        });
        _schemas[MetaPrefix + "DeleteOptions"] = Obj("DeleteOptions may be provided when deleting an API object.", new JsonObject
        {
            ["apiVersion"] = Str("APIVersion defines the versioned schema of this representation of an object."),
            ["dryRun"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string", ["default"] = "" },
                ["x-kubernetes-list-type"] = "atomic" },
            ["gracePeriodSeconds"] = new JsonObject { ["type"] = "integer", ["format"] = "int64" },
            ["ignoreStoreReadErrorWithClusterBreakingPotential"] = new JsonObject { ["type"] = "boolean" },
            ["kind"] = Str("Kind is a string value representing the REST resource this object represents."),
            ["orphanDependents"] = new JsonObject { ["type"] = "boolean" },
            ["preconditions"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["resourceVersion"] =
                Str("Specifies the target ResourceVersion"), ["uid"] = Str("Specifies the target UID.") } },
            ["propagationPolicy"] = Str("Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'."),
        });
        _schemas[MetaPrefix + "Patch"] = new JsonObject
        {
            ["description"] = "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            ["type"] = "object",
        };
        _schemas[MetaPrefix + "WatchEvent"] = new JsonObject
        {
            ["description"] = "Event represents a single event to a watched resource.",
            ["type"] = "object",
            ["required"] = new JsonArray("type", "object"),
            ["properties"] = new JsonObject
            {
                ["object"] = new JsonObject { ["description"] = "Object is the object of the event.", ["type"] = "object",
                    ["x-kubernetes-preserve-unknown-fields"] = true },
                ["type"] = new JsonObject { ["type"] = "string", ["default"] = "" },
            },
        };
        if (scale)
            _schemas["io.k8s.api.autoscaling.v1.Scale"] = new JsonObject
            {
                ["description"] = "Scale represents a scaling request for a resource.",
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["apiVersion"] = Str("APIVersion defines the versioned schema of this representation of an object."),
                    ["kind"] = Str("Kind is a string value representing the REST resource this object represents."),
                    ["metadata"] = new JsonObject { ["default"] = new JsonObject(), ["allOf"] = new JsonArray(Ref(MetaPrefix + "ObjectMeta")) },
                    ["spec"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["replicas"] =
                        new JsonObject { ["type"] = "integer", ["format"] = "int32" } } },
                    ["status"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["required"] = new JsonArray("replicas"),
                        ["properties"] = new JsonObject { ["replicas"] = new JsonObject { ["type"] = "integer", ["format"] = "int32" }, ["selector"] =
                            Str("label query over pods") },
                    },
                },
                ["x-kubernetes-group-version-kind"] = Gvk("autoscaling", "v1", "Scale"),
            };
    }

    private static JsonObject Ref(string definition) => new() { ["$ref"] = "#/components/schemas/" + definition };

    /// <summary>Registers a shared definition once and returns its OpenAPI node.</summary>
    private void Register(FieldSchema schema)
    {
        var def = schema.Definition!;
        if (_registered.ContainsKey(def))
            return;
        _registered[def] = schema;
        _schemas[def] = new JsonObject(); // placeholder: stops recursion on self-referencing definitions
        _schemas[def] = ToOpenApi(schema, topLevel: true);
    }

    /// <summary>A schema node: a $ref for a shared definition (its own description beside an allOf, as kube-openapi
    /// does), else the inline shape.</summary>
    private JsonObject ToOpenApi(FieldSchema schema, bool topLevel = false)
    {
        if (!topLevel && schema.Definition is { } def)
        {
            Register(schema);
            var registered = _registered[def];
            if (schema.Description == registered.Description)
                return Ref(def);
            var wrapped = new JsonObject();
            if (schema.Description is { } d)
                wrapped["description"] = d;
            if (schema.Type == FieldType.Object)
                wrapped["default"] = new JsonObject();
            wrapped["allOf"] = new JsonArray(Ref(def));
            return wrapped;
        }

        var node = new JsonObject();
        if (schema.Description is { } description)
            node["description"] = description;
        switch (schema.Type)
        {
            case FieldType.Object:
                node["type"] = "object";
                var props = new JsonObject();
                foreach (var (name, child) in schema.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
                    props[name] = ToOpenApi(child);
                if (props.Count > 0)
                    node["properties"] = props;
                if (schema.Required.Count > 0)
                    node["required"] = new JsonArray(schema.Required.Select(r => (JsonNode)JsonValue.Create(r)).ToArray());
                break;
            case FieldType.Map:
                node["type"] = "object";
                node["additionalProperties"] = schema.AdditionalProperties is { } value ? ToOpenApi(value) : new JsonObject();
                break;
            case FieldType.Array:
                node["type"] = "array";
                node["items"] = schema.Items is { } item ? ItemNode(item) : new JsonObject();
                if (schema.ListMapKeys.Count > 0 && schema.ListType == "map")
                    node["x-kubernetes-list-map-keys"] = new JsonArray(schema.ListMapKeys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray());
                if (schema.ListType is { } listType)
                    node["x-kubernetes-list-type"] = listType;
                if (schema.PatchMergeKey is { } key)
                    node["x-kubernetes-patch-merge-key"] = key;
                if (schema.PatchStrategy is { } strategy)
                    node["x-kubernetes-patch-strategy"] = strategy;
                break;
            case FieldType.String:
                node["type"] = "string";
                if (schema.Format is { } f)
                    node["format"] = f;
                if (schema.Enum.Count > 0)
                    node["enum"] = new JsonArray(schema.Enum.Select(e => (JsonNode)JsonValue.Create(e)).ToArray());
                break;
            case FieldType.Integer:
                node["type"] = "integer";
                node["format"] = schema.Format ?? "int64";
                break;
            case FieldType.Number:
                node["type"] = "number";
                node["format"] = schema.Format ?? "double";
                break;
            case FieldType.Boolean:
                node["type"] = "boolean";
                break;
            case FieldType.IntOrString when schema.Definition?.EndsWith(".Quantity", StringComparison.Ordinal) == true:
                node["oneOf"] = new JsonArray(new JsonObject { ["type"] = "string" }, new JsonObject { ["type"] = "number" });
                break;
            case FieldType.IntOrString:
                node["type"] = "string";
                node["format"] = "int-or-string";
                break;
            case FieldType.Any:
                // kube-openapi types FieldsV1 (a struct with a JSON form of its own) as an object; apiextensions' JSON and
                // JSONSchemaPropsOr* carry no type
                if (schema.Definition == "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1")
                    node["type"] = "object";
                node["x-kubernetes-preserve-unknown-fields"] = true;
                break;
        }
        if (schema.MapType is { } mapType)
            node["x-kubernetes-map-type"] = mapType;
        return node;
    }

    /// <summary>An array's items: shared definitions as kube writes them (default {} beside allOf).</summary>
    private JsonObject ItemNode(FieldSchema item)
    {
        if (item.Definition is null || item.Type != FieldType.Object)
            return ToOpenApi(item);
        Register(item);
        return new JsonObject { ["default"] = new JsonObject(), ["allOf"] = new JsonArray(Ref(item.Definition)) };
    }
}
