using System.Text.Json.Nodes;
using KvStore.ApiServer.Printing;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Resources;

/// <summary>
/// A kind registered at run time (a CustomResourceDefinition's version, and the CRD kind itself), as the layers that serve
/// built-in kinds from static tables ask for it: <see cref="SchemaRegistry"/> (schema tree, unknown fields, validation),
/// <see cref="OpenApi"/> (its definition), <see cref="TableConvertor"/> (its printer) and the write path (preparing an
/// object for storage, and what the kind's controller does around a write). Carried by <see cref="ResourceInfo.Runtime"/>.
/// </summary>
internal interface IRuntimeKind
{
    /// <summary>The whole object's schema tree (apiVersion, kind, metadata, spec...): list semantics for patches and apply.
    /// Its <see cref="FieldSchema.Definition"/> names the OpenAPI definition.</summary>
    FieldSchema Schema { get; }

    /// <summary>The definition served under components/schemas (metadata as a $ref to ObjectMeta), a fresh copy each call;
    /// null to build it from <see cref="Schema"/> as for a built-in kind.</summary>
    JsonObject? OpenApiDefinition();

    /// <summary>The printer kubectl get's Table uses; null for kube's default (Name, Created At).</summary>
    Printer? Printer { get; }

    /// <summary>fieldValidation's unknown fields of a request body, worded as for built-in kinds (`unknown field "spec.foo"`).</summary>
    IReadOnlyList<string> UnknownFields(JsonObject obj);

    /// <summary>What the kind's strategy does to an object before validation and storage: on create (<paramref name="old"/>
    /// null) and on update over the stored <paramref name="old"/> (drop unknown fields, apply defaults, set what the server owns).</summary>
    void Prepare(JsonObject obj, JsonObject? old);

    /// <summary>The kind's own validation (beyond ObjectMeta's): the causes of a 422 Invalid.</summary>
    void Validate(JsonObject obj, JsonObject? old, List<FieldCause> errors);

    /// <summary>Whether PATCH takes application/strategic-merge-patch+json (kube: only for kinds compiled into it, so the CRD
    /// kind but no custom resource).</summary>
    bool StrategicMergePatch => false;

    /// <summary>The scale subresource's view of an object, when the kind serves one: where its replicas and selector are.</summary>
    ScalePaths? Scale => null;

    /// <summary>After an object was written (created, updated, patched): what the kind's controller does before the answer,
    /// so the next request sees it (kube runs it as a controller).</summary>
    Task WrittenAsync(JsonObject stored, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The first delete of an object not yet being deleted: true when the kind marked <paramref name="obj"/> as being
    /// deleted itself (kube's CRD REST Delete: deletionTimestamp, its cleanup finalizer and a Terminating condition), false
    /// for the generic rules.</summary>
    bool MarkDeleting(JsonObject obj, DateTimeOffset now) => false;

    /// <summary>Whether POST may create objects of it now (custom resources of a terminating CRD may not: kube answers 405).</summary>
    bool AcceptsCreate => true;

    /// <summary>After an object was deleted.</summary>
    Task DeletedAsync(JsonObject deleted, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The scale subresource of a kind registered at run time: JSON paths (".spec.replicas") of the desired and
/// observed replicas and of the label selector string (null when none).</summary>
internal sealed record ScalePaths(string SpecReplicas, string StatusReplicas, string? LabelSelector);
