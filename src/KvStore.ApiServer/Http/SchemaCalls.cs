using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Http;

/// <summary>TEMPORARY until the schema part lands: its calls, with "no schema" when still unimplemented.</summary>
internal static class SchemaCalls
{
    public static FieldSchema? For(ResourceInfo resource)
    {
        try { return SchemaRegistry.For(resource); } catch (NotImplementedException) { return null; }
    }

    public static IReadOnlyList<string> UnknownFields(ResourceInfo resource, JsonObject obj)
    {
        try { return SchemaRegistry.UnknownFields(resource, obj); } catch (NotImplementedException) { return []; }
    }

    public static IReadOnlyList<FieldCause> Validate(ResourceInfo resource, JsonObject obj, JsonObject? old)
    {
        try { return SchemaRegistry.Validate(resource, obj, old); } catch (NotImplementedException) { return []; }
    }
}
