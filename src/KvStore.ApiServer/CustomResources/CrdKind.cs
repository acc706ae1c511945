using System.Text.Json.Nodes;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Printing;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Schema.Types;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// The CustomResourceDefinition kind (kube's CRD strategy and v1 defaults): names.singular and listKind default from
/// kind, conversion to None; the status belongs to the server (on create only storedVersions = the storage version;
/// an update adds a new storage version to storedVersions); around each write the <see cref="CrdController"/> runs at
/// once, so a CRD's resources are served (or gone) by the time the client hears back. A delete leaves it Terminating
/// until the <see cref="CrdFinalizer"/> has deleted its custom resources.
/// </summary>
internal sealed class CrdKind(CrdController controller) : IRuntimeKind
{
    public FieldSchema Schema => ApiExtensionsKinds.CustomResourceDefinition;

    public JsonObject? OpenApiDefinition() => null;

    public Printer? Printer => null;

    public bool StrategicMergePatch => true;

    public IReadOnlyList<string> UnknownFields(JsonObject obj)
    {
        var found = new List<string>();
        SchemaRegistry.CollectUnknown(Schema, obj, "", found);
        return found;
    }

    public void Prepare(JsonObject obj, JsonObject? old)
    {
        if (obj["spec"] is not JsonObject spec)
            return;
        if (spec["names"] is JsonObject names && JsonValues.String(names["kind"]) is { Length: > 0 } kind)
        {
            if (JsonValues.String(names["singular"]) is null or "")
                names["singular"] = kind.ToLowerInvariant();
            if (JsonValues.String(names["listKind"]) is null or "")
                names["listKind"] = kind + "List";
        }
        if (spec["conversion"] is not JsonObject)
            spec["conversion"] = new JsonObject { ["strategy"] = "None" };
        var storage = Crd.Read(obj).StorageVersion?.Name;
        if (old is null)
        {
            obj["status"] = new JsonObject
            {
                ["acceptedNames"] = new JsonObject { ["plural"] = "", ["kind"] = "" },
                ["storedVersions"] = storage is null ? new JsonArray() : new JsonArray(storage),
            };
            return;
        }
        if (storage is not null && obj["status"] is JsonObject status)
        {
            if (status["storedVersions"] is not JsonArray stored)
                status["storedVersions"] = stored = [];
            if (!stored.Any(v => JsonValues.String(v) == storage))
                stored.Add(storage);
        }
    }

    public void Validate(JsonObject obj, JsonObject? old, List<FieldCause> errors) => CrdValidation.Validate(obj, old, errors);

    public Task WrittenAsync(JsonObject stored, CancellationToken cancellationToken) => controller.ReconcileAsync(stored, cancellationToken);

    /// <summary>kube's CRD REST Delete, on the first delete: deletionTimestamp, the customresourcecleanup finalizer and the
    /// Terminating condition; the <see cref="CrdFinalizer"/> then deletes the custom resources and the finalizer.</summary>
    public bool MarkDeleting(JsonObject obj, DateTimeOffset now)
    {
        ObjectDefaults.Metadata(obj)["deletionTimestamp"] ??= ObjectDefaults.Now(now);
        var finalizers = Lifecycle.Finalizers(obj);
        if (!finalizers.Contains(CrdFinalizer.Name)) Lifecycle.SetFinalizers(obj, [.. finalizers, CrdFinalizer.Name]);
        StatusConditions.Set(obj, "Terminating", "True", "InstanceDeletionPending",
            "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon", now);
        return true;
    }

    public Task DeletedAsync(JsonObject deleted, CancellationToken cancellationToken) =>
        controller.ForgetAsync(JsonValues.String(deleted["metadata"]?["name"]) ?? "", cancellationToken);
}
