using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// Dropping the fields a custom resource's schema does not declare, as kube-apiserver does before defaulting and
/// validation (apiextensions' pruning algorithm): apiVersion, kind and metadata stay at the root (metadata loses what
/// ObjectMeta does not declare), x-kubernetes-preserve-unknown-fields keeps unknown fields (and prunes inside the known
/// ones), additionalProperties declares every key. The pruned paths are what fieldValidation reports
/// (`unknown field "spec.foo"`). Held by SchemaRulesTests.PruningDropsUndeclaredFieldsButKeepsTypeMetaMetadataMapsAndPreservedTrees.
/// </summary>
internal static class Pruning
{
    private static readonly string[] TypeMeta = ["apiVersion", "kind", "metadata"];

    /// <summary>Prunes <paramref name="obj"/> in place; the pruned fields' paths, in document order.</summary>
    public static IReadOnlyList<string> Prune(JsonObject obj, SchemaNode schema)
    {
        var pruned = new List<string>();
        if (obj["metadata"] is JsonObject metadata)
        {
            var unknown = new List<string>();
            SchemaRegistry.CollectUnknown(SchemaRegistry.ObjectMeta, metadata, "metadata", unknown);
            foreach (var field in unknown)
                pruned.Add(field);
            foreach (var (name, _) in metadata.ToList())
                if (!SchemaRegistry.ObjectMeta.Properties.ContainsKey(name))
                    metadata.Remove(name);
        }
        PruneObject(obj, schema, "", root: true, pruned);
        return pruned;
    }

    private static void PruneValue(JsonNode? value, SchemaNode? schema, string path, List<string> pruned)
    {
        switch (value)
        {
            case JsonObject o:
                PruneObject(o, schema, path, root: schema?.EmbeddedResource == true, pruned);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    PruneValue(a[i], schema?.Items, $"{path}[{i}]", pruned);
                break;
        }
    }

    private static void PruneObject(JsonObject o, SchemaNode? schema, string path, bool root, List<string> pruned)
    {
        foreach (var (name, child) in o.ToList())
        {
            if (root && TypeMeta.Contains(name))
                continue;
            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            if (schema?.Property(name) is { } property)
                PruneValue(child, property, childPath, pruned);
            else if (schema?.AdditionalProperties is { } values)
                PruneValue(child, values, childPath, pruned);
            else if (schema is { PreserveUnknownFields: true } || schema is { AdditionalPropertiesAllowed: true })
                continue;
            else
            {
                o.Remove(name);
                pruned.Add($"unknown field \"{childPath}\"");
            }
        }
    }
}
