using System.Text.Json;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// The checks of a CRD version's openAPIV3Schema (apiextensions' ValidateCustomResourceDefinitionOpenAPISchema and the
/// structural schema invariants of apiserver/schema/validation.go), with kube's paths
/// ("spec.versions[0].schema.openAPIV3Schema.properties[spec].type") and messages. kube sorts the structural errors by
/// their text; so does this. Held by SchemaRulesTests.SchemasMustBeStructural.
/// </summary>
internal static class StructuralValidation
{
    private enum Level { Root, Item, Field }

    private static readonly string[] Types = ["array", "boolean", "integer", "number", "object", "string"];
    private static readonly string[] ListTypes = ["atomic", "map", "set"];
    private static readonly string[] MapTypes = ["atomic", "granular"];

    public static void Validate(JsonObject schema, string path, List<FieldCause> errors)
    {
        var props = new List<FieldCause>();
        Props(schema, path, props);
        var structural = new List<FieldCause>();
        Structural(schema, Level.Root, path, structural);
        errors.AddRange(props);
        errors.AddRange(structural.OrderBy(e => Text(e), StringComparer.Ordinal));
        if (props.Count == 0 && structural.Count == 0)
            Defaults(SchemaNode.Parse(schema), path, errors);
    }

    private static string Text(FieldCause e) => $"{e.Field}: {e.Message}";

    /// <summary>What JSONSchemaProps may say at all in a CRD (ValidateCustomResourceDefinitionOpenAPISchema).</summary>
    private static void Props(JsonObject s, string path, List<FieldCause> errors)
    {
        if (s["$ref"] is not null)
            errors.Add(Forbidden($"{path}.$ref", "$ref is not supported"));
        if (s["type"] is JsonValue type && JsonValues.String(type) is { } t && !Types.Contains(t))
            errors.Add(NotSupported($"{path}.type", t, Types));
        if (s["uniqueItems"]?.GetValueKind() == JsonValueKind.True)
            errors.Add(Forbidden($"{path}.uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
        if (s["additionalProperties"] is { } additional)
        {
            if (additional.GetValueKind() == JsonValueKind.False)
                errors.Add(Forbidden($"{path}.additionalProperties", "additionalProperties cannot be set to false"));
            else if (s["properties"] is JsonObject { Count: > 0 })
                errors.Add(Forbidden($"{path}.additionalProperties", "additionalProperties and properties are mutual exclusive"));
            if (additional is JsonObject additionalSchema)
                Props(additionalSchema, $"{path}.additionalProperties", errors);
        }
        if (s["x-kubernetes-preserve-unknown-fields"]?.GetValueKind() == JsonValueKind.False)
            errors.Add(Invalid($"{path}.x-kubernetes-preserve-unknown-fields", false, "must be true or undefined"));
        var listType = JsonValues.String(s["x-kubernetes-list-type"]);
        if (listType is not null && !ListTypes.Contains(listType))
            errors.Add(NotSupported($"{path}.x-kubernetes-list-type", listType, ListTypes));
        if (listType is not null && JsonValues.String(s["type"]) != "array")
            errors.Add(Invalid($"{path}.type", JsonValues.String(s["type"]) ?? "", "must be array if x-kubernetes-list-type is specified"));
        var mapKeys = s["x-kubernetes-list-map-keys"] as JsonArray;
        if (listType == "map" && mapKeys is not { Count: > 0 })
            errors.Add(Required($"{path}.x-kubernetes-list-map-keys", "must not be empty if x-kubernetes-list-type is map"));
        if (mapKeys is { Count: > 0 } && listType != "map")
            errors.Add(Forbidden($"{path}.x-kubernetes-list-map-keys", "can only be set if x-kubernetes-list-type is map"));
        if (JsonValues.String(s["x-kubernetes-map-type"]) is { } mapType && !MapTypes.Contains(mapType))
            errors.Add(NotSupported($"{path}.x-kubernetes-map-type", mapType, MapTypes));
        if (s["properties"] is JsonObject properties)
            foreach (var (name, child) in properties)
                if (child is JsonObject c)
                    Props(c, $"{path}.properties[{name}]", errors);
        if (s["items"] is JsonObject items)
            Props(items, $"{path}.items", errors);
        else if (s["items"] is JsonArray)
            errors.Add(Forbidden($"{path}.items", "items must be a schema object and not an array"));
        if (s["not"] is JsonObject not)
            Props(not, $"{path}.not", errors);
        foreach (var junctor in new[] { "allOf", "anyOf", "oneOf" })
            if (s[junctor] is JsonArray list)
                for (var i = 0; i < list.Count; i++)
                    if (list[i] is JsonObject item)
                        Props(item, $"{path}.{junctor}[{i}]", errors);
    }

    /// <summary>The structural schema invariants (ValidateStructural).</summary>
    private static void Structural(JsonObject s, Level level, string path, List<FieldCause> errors)
    {
        var type = JsonValues.String(s["type"]) ?? "";
        var preserve = s["x-kubernetes-preserve-unknown-fields"]?.GetValueKind() == JsonValueKind.True;
        var intOrString = s["x-kubernetes-int-or-string"]?.GetValueKind() == JsonValueKind.True;
        var embedded = s["x-kubernetes-embedded-resource"]?.GetValueKind() == JsonValueKind.True;
        if (type == "array" && s["items"] is null)
            errors.Add(Required($"{path}.items", "must be specified"));
        if (s["items"] is JsonObject items)
            Structural(items, Level.Item, $"{path}.items", errors);
        if (s["properties"] is JsonObject properties)
            foreach (var (name, child) in properties)
                if (child is JsonObject c && !(level == Level.Root && name == "metadata"))
                    Structural(c, Level.Field, $"{path}.properties[{name}]", errors);
        if (s["additionalProperties"] is { } additional)
        {
            if (level == Level.Root)
                errors.Add(Forbidden($"{path}.additionalProperties", "must not be used at the root"));
            if (additional is JsonObject a)
                Structural(a, Level.Field, $"{path}.additionalProperties", errors);
        }
        if (intOrString && preserve)
            errors.Add(Invalid($"{path}.x-kubernetes-preserve-unknown-fields", true, "must be false if x-kubernetes-int-or-string is true"));
        if (intOrString && embedded)
            errors.Add(Invalid($"{path}.x-kubernetes-embedded-resource", true, "must be false if x-kubernetes-int-or-string is true"));
        foreach (var junctor in new[] { "allOf", "anyOf", "oneOf" })
            if (s[junctor] is JsonArray list)
                for (var i = 0; i < list.Count; i++)
                    if (list[i] is JsonObject nested && !(intOrString && junctor == "anyOf") && !(intOrString && junctor == "allOf" && i == 0))
                        Nested(nested, $"{path}.{junctor}[{i}]", errors);
        if (s["not"] is JsonObject notSchema)
            Nested(notSchema, $"{path}.not", errors);
        if (embedded && type != "object")
        {
            errors.Add(type.Length == 0
                ? Required($"{path}.type", "must be object if x-kubernetes-embedded-resource is true")
                : Invalid($"{path}.type", type, "must be object if x-kubernetes-embedded-resource is true"));
        }
        else if (type.Length == 0 && !intOrString && !preserve)
        {
            errors.Add(Required($"{path}.type", level switch
            {
                Level.Root => "must not be empty at the root",
                Level.Item => "must not be empty for specified array items",
                _ => "must not be empty for specified object fields",
            }));
        }
        if (level == Level.Root && type.Length > 0 && type != "object")
            errors.Add(Invalid($"{path}.type", type, "must be object at the root"));
        if (level == Level.Root || embedded)
        {
            foreach (var typeMeta in new[] { "kind", "apiVersion" })
                if (s["properties"]?[typeMeta] is JsonObject field && JsonValues.String(field["type"]) is var t && t != "string")
                    errors.Add(Invalid($"{path}.properties[{typeMeta}].type", t ?? "", "must be string"));
        }
        if (level == Level.Root && s["properties"]?["metadata"] is JsonObject metadata)
            Metadata(metadata, $"{path}.properties[metadata]", errors);
    }

    /// <summary>metadata at the root: an object that may only restrict name and generateName.</summary>
    private static void Metadata(JsonObject metadata, string path, List<FieldCause> errors)
    {
        if (JsonValues.String(metadata["type"]) is var t && t != "object")
            errors.Add(Invalid($"{path}.type", t ?? "", "must be object"));
        var allowed = new[] { "type", "properties", "description" };
        var properties = metadata["properties"] as JsonObject;
        var onlyNames = properties is null || properties.All(p => p.Key is "name" or "generateName");
        if (!onlyNames || metadata.Any(p => !allowed.Contains(p.Key)))
            errors.Add(Forbidden(path, "must not specify anything other than name and generateName, but metadata is implicitly specified"));
    }

    /// <summary>A schema under allOf/anyOf/oneOf/not may only carry value validations.</summary>
    private static void Nested(JsonObject s, string path, List<FieldCause> errors)
    {
        if (s["type"] is not null)
            errors.Add(Forbidden($"{path}.type", "must be empty to be structural"));
        if (s["additionalProperties"] is not null)
            errors.Add(Forbidden($"{path}.additionalProperties", "must be undefined to be structural"));
        if (s["default"] is not null)
            errors.Add(Forbidden($"{path}.default", "must be undefined to be structural"));
        if (s["title"] is not null)
            errors.Add(Forbidden($"{path}.title", "must be empty to be structural"));
        if (s["description"] is not null)
            errors.Add(Forbidden($"{path}.description", "must be empty to be structural"));
        if (s["nullable"]?.GetValueKind() == JsonValueKind.True)
            errors.Add(Forbidden($"{path}.nullable", "must be false to be structural"));
        foreach (var extension in new[] { "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string" })
            if (s[extension]?.GetValueKind() == JsonValueKind.True)
                errors.Add(Forbidden($"{path}.{extension}", "must be false to be structural"));
        if (s["x-kubernetes-list-type"] is not null)
            errors.Add(Forbidden($"{path}.x-kubernetes-list-type", "must be undefined to be structural"));
        if (s["x-kubernetes-validations"] is JsonArray { Count: > 0 })
            errors.Add(Forbidden($"{path}.x-kubernetes-validations", "must be empty to be structural"));
        if (s["properties"] is JsonObject properties)
        {
            if (properties.ContainsKey("metadata"))
                errors.Add(Forbidden($"{path}.properties[metadata]", "must not be specified in a nested context"));
            foreach (var (name, child) in properties)
                if (child is JsonObject c)
                    Nested(c, $"{path}.properties[{name}]", errors);
        }
        if (s["items"] is JsonObject items)
            Nested(items, $"{path}.items", errors);
    }

    /// <summary>Every default must be valid under its own schema, as the object it lands in would be (defaulting/validation.go).</summary>
    private static void Defaults(SchemaNode s, string path, List<FieldCause> errors)
    {
        if (s.Default is { } value)
        {
            var pruned = value.DeepClone();
            if (pruned is JsonObject o && s.Properties.Count > 0 && !s.PreserveUnknownFields)
                foreach (var (name, _) in o.ToList())
                    if (s.Property(name) is null)
                        errors.Add(Invalid($"{path}.default", JsonValues.ForError(value), $"must not have unknown fields: {name}"));
            SchemaValidator.Validate(s, pruned, $"{path}.default", errors);
        }
        foreach (var (name, child) in s.Properties)
            Defaults(child, $"{path}.properties[{name}]", errors);
        if (s.Items is { } items)
            Defaults(items, $"{path}.items", errors);
        if (s.AdditionalProperties is { } additional)
            Defaults(additional, $"{path}.additionalProperties", errors);
    }
}
