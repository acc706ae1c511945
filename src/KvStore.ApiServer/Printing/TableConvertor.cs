using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Printing;

/// <summary>
/// Server-side printing: the meta.k8s.io/v1 Table kubectl asks for with
/// <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>, with kube-apiserver's columns for each resource.
/// </summary>
public static class TableConvertor
{
    /// <summary>
    /// The Table for <paramref name="objects"/> (all of one resource). Every row has one cell per column and, when
    /// <paramref name="includeObject"/> is "Metadata" (the default kubectl asks for), <c>object</c> = a
    /// PartialObjectMetadata (apiVersion meta.k8s.io/v1, kind PartialObjectMetadata, the full metadata); "Object"
    /// puts the whole object, "None" nothing. The caller sets the Table's metadata (resourceVersion, continue).
    /// <paramref name="now"/> is the clock for Age columns.
    /// </summary>
    public static JsonObject ToTable(ResourceInfo resource, IReadOnlyList<JsonObject> objects, string includeObject, DateTimeOffset now) =>
        throw new NotImplementedException("print helper");
}
