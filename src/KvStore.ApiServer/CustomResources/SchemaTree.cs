using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.CustomResources;

/// <summary>A custom resource version's schema as the facade's FieldSchema tree (what strict field validation,
/// server-side apply and the decoder checks read): objects, maps (additionalProperties), lists with their
/// x-kubernetes-list-type/-map-keys, int-or-string; x-kubernetes-preserve-unknown-fields and untyped nodes are open.
/// metadata is ObjectMeta.</summary>
internal static class SchemaTree
{
    public static FieldSchema Root(SchemaNode schema, string definition)
    {
        var tree = Convert(schema, definition);
        var properties = new Dictionary<string, FieldSchema>(tree.Properties, StringComparer.Ordinal)
        {
            ["apiVersion"] = new() { Type = FieldType.String },
            ["kind"] = new() { Type = FieldType.String },
            ["metadata"] = SchemaRegistry.ObjectMeta,
        };
        return new FieldSchema
        {
            Type = tree.Type == FieldType.Any ? FieldType.Any : FieldType.Object,
            Properties = properties,
            Required = tree.Required,
            Definition = definition,
            Description = schema.Description,
        };
    }

    private static FieldSchema Convert(SchemaNode s, string? definition = null)
    {
        if (s.IntOrString)
            return new FieldSchema { Type = FieldType.IntOrString, Description = s.Description };
        return s.Type switch
        {
            "object" when s.PreserveUnknownFields && s.Properties.Count == 0 => Open(s),
            "object" when s.AdditionalProperties is { } values => new FieldSchema
            {
                Type = FieldType.Map,
                AdditionalProperties = Convert(values),
                Description = s.Description,
                MapType = s.MapType,
            },
            "object" when s.PreserveUnknownFields || s.AdditionalPropertiesAllowed => Open(s),
            "object" => new FieldSchema
            {
                Type = FieldType.Object,
                Properties = s.Properties.ToDictionary(p => p.Name, p => Convert(p.Schema), StringComparer.Ordinal),
                Required = s.Required,
                Description = s.Description,
                MapType = s.MapType,
                Definition = definition,
            },
            "array" => new FieldSchema
            {
                Type = FieldType.Array,
                Items = s.Items is { } items ? Convert(items) : null,
                ListType = s.ListType ?? "atomic",
                ListMapKeys = s.ListMapKeys,
                Description = s.Description,
            },
            "string" => new FieldSchema { Type = FieldType.String, Format = s.Format, Description = s.Description, Enum = StringEnum(s) },
            "integer" => new FieldSchema { Type = FieldType.Integer, Format = s.Format, Description = s.Description },
            "number" => new FieldSchema { Type = FieldType.Number, Format = s.Format, Description = s.Description },
            "boolean" => new FieldSchema { Type = FieldType.Boolean, Description = s.Description },
            _ => Open(s),
        };
    }

    private static FieldSchema Open(SchemaNode s) => new() { Type = FieldType.Any, Description = s.Description };

    private static IReadOnlyList<string> StringEnum(SchemaNode s) =>
        s.Enum is { } values ? values.Select(JsonValues.String).OfType<string>().ToList() : [];
}
