using System.Text.Json.Nodes;
using KvStore.ApiServer.Printing;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Resources;

/// <summary>
/// A kind registered at run time (today a CustomResourceDefinition's version), as the layers that serve built-in kinds
/// from static tables ask for it: <see cref="SchemaRegistry"/> (schema tree, unknown fields, validation),
/// <see cref="OpenApi"/> (its definition), <see cref="TableConvertor"/> (its printer) and the write path (preparing an
/// object for storage). Carried by <see cref="ResourceInfo.Runtime"/>.
/// </summary>
internal interface IRuntimeKind
{
    /// <summary>The whole object's schema tree (apiVersion, kind, metadata, spec...): list semantics for patches and apply.
    /// Its <see cref="FieldSchema.Definition"/> names the OpenAPI definition.</summary>
    FieldSchema Schema { get; }

    /// <summary>The definition served under components/schemas (metadata as a $ref to ObjectMeta); a fresh copy each call.</summary>
    JsonObject OpenApiDefinition();

    /// <summary>The printer kubectl get's Table uses.</summary>
    Printer Printer { get; }

    /// <summary>fieldValidation's unknown fields of a request body, worded as for built-in kinds (`unknown field "spec.foo"`).</summary>
    IReadOnlyList<string> UnknownFields(JsonObject obj);

    /// <summary>What the kind does to an object before validation and storage, on create and update (drop unknown fields,
    /// apply defaults).</summary>
    void Prepare(JsonObject obj);

    /// <summary>The kind's own validation (beyond ObjectMeta's): the causes of a 422 Invalid.</summary>
    void Validate(JsonObject obj, JsonObject? old, List<FieldCause> errors);
}
