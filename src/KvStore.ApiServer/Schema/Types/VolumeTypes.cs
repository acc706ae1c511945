using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>core/v1 Volume and the volume sources people write; the cloud in-tree sources (deprecated) are open objects.</summary>
internal static class VolumeTypes
{
    public static readonly FieldSchema TypedLocalObjectReference = Core("TypedLocalObjectReference",
        "TypedLocalObjectReference contains enough information to let you locate the typed referenced object inside the same namespace.",
        [("apiGroup", Str), ("kind", Str), ("name", Str)], ["kind", "name"], mapType: "atomic");

    public static readonly FieldSchema TypedObjectReference = Core("TypedObjectReference",
        "TypedObjectReference contains enough information to let you locate the typed referenced object",
        [("apiGroup", Str), ("kind", Str), ("name", Str), ("namespace", Str)], ["kind", "name"]);

    public static readonly FieldSchema KeyToPath = Core("KeyToPath", "Maps a string key to a path within a volume.",
        [("key", Str), ("mode", I32), ("path", Str)], ["key", "path"]);

    public static readonly FieldSchema ConfigMapVolumeSource = Core("ConfigMapVolumeSource",
        "Adapts a ConfigMap into a volume.",
        [("defaultMode", I32), ("items", Atomic(KeyToPath)), ("name", Str), ("optional", Bool)]);

    public static readonly FieldSchema SecretVolumeSource = Core("SecretVolumeSource",
        "Adapts a Secret into a volume.",
        [("defaultMode", I32), ("items", Atomic(KeyToPath)), ("optional", Bool), ("secretName", Str)]);

    public static readonly FieldSchema DownwardApiVolumeFile = Core("DownwardAPIVolumeFile",
        "DownwardAPIVolumeFile represents information to create the file containing the pod field",
        [
            ("fieldRef", ContainerTypes.ObjectFieldSelector), ("mode", I32), ("path", Str),
            ("resourceFieldRef", ContainerTypes.ResourceFieldSelector),
        ], ["path"]);

    public static readonly FieldSchema DownwardApiVolumeSource = Core("DownwardAPIVolumeSource",
        "DownwardAPIVolumeSource represents a volume containing downward API info.",
        [("defaultMode", I32), ("items", Atomic(DownwardApiVolumeFile))]);

    public static readonly FieldSchema EmptyDirVolumeSource = Core("EmptyDirVolumeSource",
        "Represents an empty directory for a pod.", [("medium", Str), ("sizeLimit", Quantity)]);

    public static readonly FieldSchema HostPathVolumeSource = Core("HostPathVolumeSource",
        "Represents a host path mapped into a pod.", [("path", Str), ("type", Str)], ["path"]);

    public static readonly FieldSchema NfsVolumeSource = Core("NFSVolumeSource",
        "Represents an NFS mount that lasts the lifetime of a pod.", [("path", Str), ("readOnly", Bool), ("server", Str)], ["server", "path"]);

    public static readonly FieldSchema PersistentVolumeClaimVolumeSource = Core("PersistentVolumeClaimVolumeSource",
        "PersistentVolumeClaimVolumeSource references the user's PVC in the same namespace.",
        [("claimName", Str), ("readOnly", Bool)], ["claimName"]);

    public static readonly FieldSchema CsiVolumeSource = Core("CSIVolumeSource",
        "Represents a source location of a volume to mount, managed by an external CSI driver",
        [
            ("driver", Str), ("fsType", Str), ("nodePublishSecretRef", VolumeLeafTypes.LocalObjectReference), ("readOnly", Bool),
            ("volumeAttributes", StrMap),
        ], ["driver"]);

    public static readonly FieldSchema ImageVolumeSource = Core("ImageVolumeSource",
        "ImageVolumeSource represents a image volume resource.", [("pullPolicy", Str), ("reference", Str)]);

    public static readonly FieldSchema ServiceAccountTokenProjection = Core("ServiceAccountTokenProjection",
        "ServiceAccountTokenProjection represents a projected service account token volume.",
        [("audience", Str), ("expirationSeconds", I64), ("path", Str)], ["path"]);

    public static readonly FieldSchema VolumeProjection = Core("VolumeProjection",
        "Projection that may be projected along with other supported volume types.",
        [
            ("clusterTrustBundle", VolumeLeafTypes.ClusterTrustBundleProjection),
            ("configMap", Core("ConfigMapProjection", "Adapts a ConfigMap into a projected volume.",
                [("items", Atomic(KeyToPath)), ("name", Str), ("optional", Bool)])),
            ("downwardAPI", Core("DownwardAPIProjection", "Represents downward API info for projecting into a projected volume.",
                [("items", Atomic(DownwardApiVolumeFile))])),
            ("secret", Core("SecretProjection", "Adapts a secret into a projected volume.",
                [("items", Atomic(KeyToPath)), ("name", Str), ("optional", Bool)])),
            ("serviceAccountToken", ServiceAccountTokenProjection),
        ]);

    public static readonly FieldSchema ProjectedVolumeSource = Core("ProjectedVolumeSource",
        "Represents a projected volume source", [("defaultMode", I32), ("sources", Atomic(VolumeProjection))]);

    public static readonly FieldSchema VolumeResourceRequirements = Core("VolumeResourceRequirements",
        "VolumeResourceRequirements describes the storage resource requirements for a volume.",
        [("limits", QuantityMap), ("requests", QuantityMap)]);

    public static readonly FieldSchema PersistentVolumeClaimSpec = Core("PersistentVolumeClaimSpec",
        "PersistentVolumeClaimSpec describes the common attributes of storage devices and allows a Source for provider-specific attributes",
        [
            ("accessModes", StrList), ("dataSource", TypedLocalObjectReference), ("dataSourceRef", TypedObjectReference),
            ("resources", VolumeResourceRequirements), ("selector", MetaTypes.LabelSelector), ("storageClassName", Str),
            ("volumeAttributesClassName", Str), ("volumeMode", Str), ("volumeName", Str),
        ]);

    public static readonly FieldSchema PersistentVolumeClaim = Dsl.Kind("io.k8s.api.core.v1.PersistentVolumeClaim",
        "PersistentVolumeClaim is a user's request for and claim to a persistent volume",
        [("spec", PersistentVolumeClaimSpec), ("status", VolumeLeafTypes.PersistentVolumeClaimStatus)]);

    public static readonly FieldSchema EphemeralVolumeSource = Core("EphemeralVolumeSource",
        "Represents an ephemeral volume that is handled by a normal storage driver.",
        [
            ("volumeClaimTemplate", Core("PersistentVolumeClaimTemplate",
                "PersistentVolumeClaimTemplate is used to produce PersistentVolumeClaim objects as part of an EphemeralVolumeSource.",
                [("metadata", MetaTypes.ObjectMeta), ("spec", PersistentVolumeClaimSpec)], ["spec"])),
        ]);

    public static readonly FieldSchema Volume = Core("Volume",
        "Volume represents a named volume in a pod that may be accessed by any container in the pod.",
        [
            ("configMap", ConfigMapVolumeSource), ("csi", CsiVolumeSource), ("downwardAPI", DownwardApiVolumeSource),
            ("emptyDir", EmptyDirVolumeSource), ("ephemeral", EphemeralVolumeSource), ("hostPath", HostPathVolumeSource),
            ("image", ImageVolumeSource), ("name", Str), ("nfs", NfsVolumeSource),
            ("persistentVolumeClaim", PersistentVolumeClaimVolumeSource), ("projected", ProjectedVolumeSource),
            ("secret", SecretVolumeSource),
            ("awsElasticBlockStore", VolumeLeafTypes.AWSElasticBlockStoreVolumeSource), ("azureDisk", VolumeLeafTypes.AzureDiskVolumeSource),
            ("azureFile", VolumeLeafTypes.AzureFileVolumeSource), ("cephfs", VolumeLeafTypes.CephFSVolumeSource),
                ("cinder", VolumeLeafTypes.CinderVolumeSource),
            ("fc", VolumeLeafTypes.FCVolumeSource), ("flexVolume", VolumeLeafTypes.FlexVolumeSource),
                ("flocker", VolumeLeafTypes.FlockerVolumeSource),
            ("gcePersistentDisk", VolumeLeafTypes.GCEPersistentDiskVolumeSource), ("gitRepo", VolumeLeafTypes.GitRepoVolumeSource),
            ("glusterfs", VolumeLeafTypes.GlusterfsVolumeSource), ("iscsi", VolumeLeafTypes.ISCSIVolumeSource),
            ("photonPersistentDisk", VolumeLeafTypes.PhotonPersistentDiskVolumeSource), ("portworxVolume", VolumeLeafTypes.PortworxVolumeSource),
            ("quobyte", VolumeLeafTypes.QuobyteVolumeSource), ("rbd", VolumeLeafTypes.RBDVolumeSource),
                ("scaleIO", VolumeLeafTypes.ScaleIOVolumeSource),
            ("storageos", VolumeLeafTypes.StorageOSVolumeSource), ("vsphereVolume", VolumeLeafTypes.VsphereVirtualDiskVolumeSource),
        ], ["name"]);
}
