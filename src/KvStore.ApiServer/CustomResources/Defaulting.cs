using System.Text.Json.Nodes;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// Schema defaults applied to a custom resource (apiextensions' defaulting algorithm), top down: a declared field that
/// is missing, or null where the schema does not allow null, gets a copy of its default, then its own fields are
/// defaulted. A null without a default where null is not allowed is dropped first (PruneNonNullableNullsWithoutDefaults).
/// Held by SchemaRulesTests.DefaultsFillMissingFieldsTopDownAndReplaceNullsThatAreNotAllowed.
/// </summary>
internal static class Defaulting
{
    public static void Apply(JsonNode? value, SchemaNode? schema)
    {
        if (schema is null)
            return;
        switch (value)
        {
            case JsonObject o:
                foreach (var (name, property) in schema.Properties)
                {
                    var present = o.TryGetPropertyValue(name, out var child);
                    if (present && child is null && !property.Nullable && property.Default is null)
                        o.Remove(name);
                    else if ((!present || (child is null && !property.Nullable)) && property.Default is { } d)
                        o[name] = d.DeepClone();
                }
                foreach (var (name, child) in o.ToList())
                {
                    if (schema.Property(name) is { } property)
                        Apply(child, property);
                    else if (schema.AdditionalProperties is { } values)
                    {
                        if (child is null && !values.Nullable && values.Default is { } d)
                            o[name] = d.DeepClone();
                        Apply(o[name], values);
                    }
                }
                break;
            case JsonArray a when schema.Items is { } items:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is null && !items.Nullable && items.Default is { } d)
                        a[i] = d.DeepClone();
                    Apply(a[i], items);
                }
                break;
        }
    }
}
