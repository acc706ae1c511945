using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Schema;

/// <summary>One field error, as kube-apiserver's StatusCause: reason (FieldValueRequired, FieldValueInvalid,
/// FieldValueNotSupported, FieldValueDuplicate, FieldValueTooLong...), message and field path (".spec.replicas").</summary>
public sealed record FieldCause(string Reason, string Message, string Field);

/// <summary>The schema of every served kind, strict field validation, and the object validation kube-apiserver does.</summary>
public static class SchemaRegistry
{
    /// <summary>The schema of the resource's kind (the whole object: apiVersion, kind, metadata, spec, status...).</summary>
    public static FieldSchema For(ResourceInfo resource) => throw new NotImplementedException("schema helper");

    /// <summary>
    /// fieldValidation=Strict: the paths of fields not declared in the schema, in kube-apiserver's wording
    /// (`unknown field "spec.foo"`), and duplicate fields. Empty when all are known.
    /// </summary>
    public static IReadOnlyList<string> UnknownFields(ResourceInfo resource, JsonObject obj) =>
        throw new NotImplementedException("schema helper");

    /// <summary>
    /// The validation kube-apiserver does on create/update (names are DNS-1123, required fields, value ranges...):
    /// the causes of a 422 Invalid; empty when valid. <paramref name="old"/> is the stored object on update.
    /// </summary>
    public static IReadOnlyList<FieldCause> Validate(ResourceInfo resource, JsonObject obj, JsonObject? old) =>
        throw new NotImplementedException("schema helper");
}
