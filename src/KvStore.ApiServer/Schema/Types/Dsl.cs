namespace KvStore.ApiServer.Schema.Types;

/// <summary>
/// A compact way to write the schemas: scalars, objects from (name, schema) pairs, and lists carrying the patch
/// tags of the Go struct field (patchStrategy/patchMergeKey) and its +listType/+listMapKeys markers.
/// </summary>
internal static class Dsl
{
    public static readonly FieldSchema Str = new() { Type = FieldType.String };
    public static readonly FieldSchema Bytes = new() { Type = FieldType.String, Format = "byte" };
    public static readonly FieldSchema I32 = new() { Type = FieldType.Integer, Format = "int32" };
    public static readonly FieldSchema I64 = new() { Type = FieldType.Integer, Format = "int64" };
    public static readonly FieldSchema F64 = new() { Type = FieldType.Number, Format = "double" };
    public static readonly FieldSchema Bool = new() { Type = FieldType.Boolean };
    public static readonly FieldSchema Any = new() { Type = FieldType.Any };

    public static readonly FieldSchema IntOrStr = new()
    {
        Type = FieldType.IntOrString,
        Format = "int-or-string",
        Definition = "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
        Description = "IntOrString is a type that can hold an int32 or a string.",
    };

    public static readonly FieldSchema Quantity = new()
    {
        Type = FieldType.IntOrString,
        Definition = "io.k8s.apimachinery.pkg.api.resource.Quantity",
        Description = "Quantity is a fixed-point representation of a number (\"100m\", \"1Gi\", 2).",
    };

    public static readonly FieldSchema Time = new()
    {
        Type = FieldType.String,
        Format = "date-time",
        Definition = "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
        Description = "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON (RFC 3339).",
    };

    public static readonly FieldSchema MicroTime = new()
    {
        Type = FieldType.String,
        Format = "date-time",
        Definition = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
        Description = "MicroTime is version of Time with microsecond level precision.",
    };

    /// <summary>map[string]string (labels, annotations, data).</summary>
    public static readonly FieldSchema StrMap = new() { Type = FieldType.Map, AdditionalProperties = Str };

    /// <summary>map[string]string replaced whole by apply (nodeSelector, service selector).</summary>
    public static readonly FieldSchema AtomicStrMap = new() { Type = FieldType.Map, AdditionalProperties = Str, MapType = "atomic" };

    /// <summary>ResourceList: map of resource name to Quantity.</summary>
    public static readonly FieldSchema QuantityMap = new() { Type = FieldType.Map, AdditionalProperties = Quantity };

    /// <summary>[]string replaced whole (+listType=atomic).</summary>
    public static readonly FieldSchema StrList = Atomic(Str);

    public static FieldSchema Enum(params string[] values) => new() { Type = FieldType.String, Enum = values };

    /// <summary>A named struct (<paramref name="definition"/> is its OpenAPI name): its fields by JSON name and the
    /// names of the required ones.</summary>
    public static FieldSchema Obj(string definition, string? description, (string Name, FieldSchema Schema)[] fields,
        string[]? required = null, string? mapType = null) => new()
    {
        Type = FieldType.Object,
        Definition = definition,
        Description = description,
        Properties = fields.ToDictionary(f => f.Name, f => f.Schema, StringComparer.Ordinal),
        Required = required ?? [],
        MapType = mapType,
        Proto = ProtoNumbers.Of(definition),
    };

    /// <summary>A struct of the core/v1 API (io.k8s.api.core.v1.&lt;name&gt;).</summary>
    public static FieldSchema Core(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null,
        string? mapType = null) => Obj("io.k8s.api.core.v1." + name, description, fields, required, mapType);

    /// <summary>A struct of meta/v1 (io.k8s.apimachinery.pkg.apis.meta.v1.&lt;name&gt;).</summary>
    public static FieldSchema Meta(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null,
        string? mapType = null) => Obj("io.k8s.apimachinery.pkg.apis.meta.v1." + name, description, fields, required, mapType);

    /// <summary>A list without patch tags that apply replaces whole (+listType=atomic).</summary>
    public static FieldSchema Atomic(FieldSchema item) => new() { Type = FieldType.Array, Items = item, ListType = "atomic" };

    /// <summary>+listType=map +listMapKeys without patch tags (strategic merge replaces it, apply merges by the keys).</summary>
    public static FieldSchema MapList(FieldSchema item, string[] mapKeys) =>
        new() { Type = FieldType.Array, Items = item, ListType = "map", ListMapKeys = mapKeys };

    /// <summary>+listType=set without patch tags.</summary>
    public static FieldSchema SetList(FieldSchema item) => new() { Type = FieldType.Array, Items = item, ListType = "set" };

    /// <summary>map[string]T for a value schema other than a string or Quantity.</summary>
    public static FieldSchema MapOf(FieldSchema value) => new() { Type = FieldType.Map, AdditionalProperties = value };

    /// <summary>A list without any tag (strategic merge replaces it; apply treats it as atomic).</summary>
    public static FieldSchema List(FieldSchema item) => new() { Type = FieldType.Array, Items = item };

    /// <summary>patchStrategy:"merge" of scalars with +listType=set (finalizers).</summary>
    public static FieldSchema MergeSet(FieldSchema item) =>
        new() { Type = FieldType.Array, Items = item, PatchStrategy = "merge", ListType = "set" };

    /// <summary>
    /// patchStrategy:"merge" patchMergeKey:<paramref name="mergeKey"/>, +listType=map +listMapKeys=<paramref name="mapKeys"/>
    /// (default: the merge key). <paramref name="strategy"/> "merge,retainKeys" for volumes.
    /// </summary>
    public static FieldSchema MergeMap(FieldSchema item, string mergeKey, string[]? mapKeys = null, string strategy = "merge") => new()
    {
        Type = FieldType.Array,
        Items = item,
        PatchMergeKey = mergeKey,
        PatchStrategy = strategy,
        ListType = "map",
        ListMapKeys = mapKeys ?? [mergeKey],
    };

    /// <summary>patchStrategy:"merge" patchMergeKey without a list-type marker (or +listType=atomic when given).</summary>
    public static FieldSchema MergeKeyed(FieldSchema item, string mergeKey, string? listType = null) => new()
    {
        Type = FieldType.Array,
        Items = item,
        PatchMergeKey = mergeKey,
        PatchStrategy = "merge",
        ListType = listType,
    };

    /// <summary>A copy of <paramref name="schema"/> with another description (a field's own doc over its type's).</summary>
    public static FieldSchema Doc(this FieldSchema schema, string description) => new()
    {
        Type = schema.Type,
        Properties = schema.Properties,
        Items = schema.Items,
        AdditionalProperties = schema.AdditionalProperties,
        PatchMergeKey = schema.PatchMergeKey,
        PatchStrategy = schema.PatchStrategy,
        ListType = schema.ListType,
        ListMapKeys = schema.ListMapKeys,
        Required = schema.Required,
        Definition = schema.Definition,
        Description = description,
        Format = schema.Format,
        MapType = schema.MapType,
        Enum = schema.Enum,
        Proto = schema.Proto,
        OneOf = schema.OneOf,
    };

    /// <summary>The whole object of a kind: apiVersion, kind, metadata and the given fields.</summary>
    public static FieldSchema Kind(string definition, string description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj(definition, description,
        [
            ("apiVersion", Str.Doc("APIVersion defines the versioned schema of this representation of an object.")),
            ("kind", Str.Doc("Kind is a string value representing the REST resource this object represents.")),
            ("metadata", MetaTypes.ObjectMeta.Doc("Standard object's metadata.")),
            .. fields,
        ], required);
}
