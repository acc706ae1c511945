using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>kube's printers for persistentvolumes, persistentvolumeclaims and storage.k8s.io/v1 storageclasses.</summary>
internal static class StoragePrinters
{
    private static string Age(JsonObject o, DateTimeOffset now) => Format.Since(Json.Time(o, "metadata", "creationTimestamp"), now);

    /// <summary>helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, comma-joined.</summary>
    private static string AccessModes(JsonNode? modes)
    {
        var present = Json.Strings(modes).ToHashSet(StringComparer.Ordinal);
        return string.Join(",", new[] { ("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP") }
            .Where(m => present.Contains(m.Item1)).Select(m => m.Item2));
    }

    /// <summary>The beta storage-class annotation wins over spec.storageClassName (helper.GetPersistentVolumeClass).</summary>
    private static string StorageClass(JsonObject o) =>
        Json.At(o, "metadata", "annotations", "volume.beta.kubernetes.io/storage-class") is JsonValue v ? (string?)v ?? ""
            : Json.Str(o, "spec", "storageClassName");

    private static string Phase(JsonObject o) =>
        Json.Has(o, "metadata", "deletionTimestamp") ? "Terminating" : Json.Str(o, "status", "phase");

    private static string OrUnset(JsonObject o, params string[] path) => Json.At(o, path) is JsonValue v ? (string?)v ?? "<unset>" : "<unset>";

    public static readonly Printer PersistentVolume = new(
        [
            TableColumn.Name_(),
            new("Capacity", "string",
                "capacity is the description of the persistent volume's resources and capacity. More info: " +
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"),
            new("Access Modes", "string",
                "accessModes contains all ways the volume can be mounted. More info: " +
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"),
            new("Reclaim Policy", "string",
                "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. " +
                "Valid options are Retain (default for manually created PersistentVolumes), " +
                "Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). " +
                "Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: " +
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming"),
            new("Status", "string",
                "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: " +
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase"),
            new("Claim", "string",
                "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. " +
                "Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: " +
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding"),
            new("StorageClass", "string", "StorageClass of the pv"),
            new("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
            new("Reason", "string",
                "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
            TableColumn.Age(),
            new("VolumeMode", "string",
                "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. " +
                "Value of Filesystem is implied when not included in spec.", 1),
        ],
        (pv, now) => new PrintedRow(
        [
            Json.Str(pv, "metadata", "name"),
            Quantity.Canonical(Json.At(pv, "spec", "capacity", "storage")),
            AccessModes(Json.At(pv, "spec", "accessModes")),
            Json.Str(pv, "spec", "persistentVolumeReclaimPolicy"),
            Phase(pv),
            Json.At(pv, "spec", "claimRef") is JsonObject claim ? $"{Json.Str(claim, "namespace")}/{Json.Str(claim, "name")}" : "",
            StorageClass(pv),
            OrUnset(pv, "spec", "volumeAttributesClassName"),
            Json.Str(pv, "status", "reason"),
            Age(pv, now),
            OrUnset(pv, "spec", "volumeMode"),
        ]));

    public static readonly Printer PersistentVolumeClaim = new(
        [
            TableColumn.Name_(),
            new("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
            new("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim."),
            new("Capacity", "string", "capacity represents the actual resources of the underlying volume."),
            new("Access Modes", "string",
                "accessModes contains the actual access modes the volume backing the PVC has. More info: " +
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"),
            new("StorageClass", "string", "StorageClass of the pvc"),
            new("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
            TableColumn.Age(),
            new("VolumeMode", "string",
                "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.",
                1),
        ],
        (pvc, now) =>
        {
            var bound = Json.Str(pvc, "spec", "volumeName").Length > 0;
            return new PrintedRow(
            [
                Json.Str(pvc, "metadata", "name"),
                Phase(pvc),
                Json.Str(pvc, "spec", "volumeName"),
                bound ? Quantity.Canonical(Json.At(pvc, "status", "capacity", "storage")) : "",
                bound ? AccessModes(Json.At(pvc, "status", "accessModes")) : "",
                StorageClass(pvc),
                OrUnset(pvc, "spec", "volumeAttributesClassName"),
                Age(pvc, now),
                OrUnset(pvc, "spec", "volumeMode"),
            ]);
        });

    public static readonly Printer StorageClassPrinter = new(
        [
            TableColumn.Name_(),
            new("Provisioner", "string", "provisioner indicates the type of the provisioner."),
            new("ReclaimPolicy", "string",
                "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete."),
            new("VolumeBindingMode", "string",
                "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, " +
                "VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature."),
            new("AllowVolumeExpansion", "string", "allowVolumeExpansion shows whether the storage class allow volume expand."),
            TableColumn.Age(),
        ],
        (sc, now) =>
        {
            var isDefault = Json.StringMap(sc, "metadata", "annotations").Any(a =>
                a.Key is "storageclass.kubernetes.io/is-default-class" or "storageclass.beta.kubernetes.io/is-default-class" && a.Value == "true");
            return new PrintedRow(
            [
                Json.Str(sc, "metadata", "name") + (isDefault ? " (default)" : ""),
                Json.Str(sc, "provisioner"),
                Json.At(sc, "reclaimPolicy") is JsonValue r ? (string?)r : "Delete",
                Json.At(sc, "volumeBindingMode") is JsonValue m ? (string?)m : "Immediate",
                Json.Bool(sc, "allowVolumeExpansion"),
                Age(sc, now),
            ]);
        });
}
