using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>storage.k8s.io/v1 StorageClass; core/v1 PersistentVolume with its volume sources (also the in-tree sources of a pod volume).</summary>
internal static class StorageTypes
{
    private static FieldSchema Storage(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj("io.k8s.api.storage.v1." + name, description, fields, required);

    public static readonly FieldSchema TopologySelectorLabelRequirement = Core("TopologySelectorLabelRequirement",
        "A topology selector requirement is a selector that matches given label.",
        [("key", Str), ("values", StrList)], ["key", "values"]);

    public static readonly FieldSchema TopologySelectorTerm = Core("TopologySelectorTerm",
        "A topology selector term represents the result of label queries.",
        [("matchLabelExpressions", Atomic(TopologySelectorLabelRequirement))]);

    public static readonly FieldSchema StorageClass = Kind("io.k8s.api.storage.v1.StorageClass",
        "StorageClass describes the parameters for a class of storage for which PersistentVolumes can be dynamically provisioned.",
        [("allowVolumeExpansion", Bool), ("allowedTopologies", Atomic(TopologySelectorTerm)), ("mountOptions", StrList), ("parameters", StrMap),
            ("provisioner", Str), ("reclaimPolicy", Str), ("volumeBindingMode", Str)], ["provisioner"]);

    public static readonly FieldSchema CSIPersistentVolumeSource = Core("CSIPersistentVolumeSource",
        "Represents storage that is managed by an external CSI volume driver",
        [("controllerExpandSecretRef", VolumeLeafTypes.SecretReference), ("controllerPublishSecretRef", VolumeLeafTypes.SecretReference),
            ("driver", Str), ("fsType", Str), ("nodeExpandSecretRef", VolumeLeafTypes.SecretReference),
            ("nodePublishSecretRef", VolumeLeafTypes.SecretReference), ("nodeStageSecretRef", VolumeLeafTypes.SecretReference), ("readOnly", Bool),
            ("volumeAttributes", StrMap), ("volumeHandle", Str)], ["driver", "volumeHandle"]);

    public static readonly FieldSchema LocalVolumeSource = Core("LocalVolumeSource", "Local represents directly-attached storage with node affinity",
        [("fsType", Str), ("path", Str)], ["path"]);

    public static readonly FieldSchema VolumeNodeAffinity = Core("VolumeNodeAffinity",
        "VolumeNodeAffinity defines constraints that limit what nodes this volume can be accessed from.",
        [("required", PodTypes.NodeSelector)]);

    public static readonly FieldSchema PersistentVolumeSpec = Core("PersistentVolumeSpec",
        "PersistentVolumeSpec is the specification of a persistent volume.",
        [("accessModes", StrList), ("awsElasticBlockStore", VolumeLeafTypes.AWSElasticBlockStoreVolumeSource),
            ("azureDisk", VolumeLeafTypes.AzureDiskVolumeSource), ("azureFile", VolumeLeafTypes.AzureFilePersistentVolumeSource),
            ("capacity", QuantityMap), ("cephfs", VolumeLeafTypes.CephFSPersistentVolumeSource),
            ("cinder", VolumeLeafTypes.CinderPersistentVolumeSource), ("claimRef", CoreKinds.ObjectReference), ("csi", CSIPersistentVolumeSource),
            ("fc", VolumeLeafTypes.FCVolumeSource), ("flexVolume", VolumeLeafTypes.FlexPersistentVolumeSource),
            ("flocker", VolumeLeafTypes.FlockerVolumeSource), ("gcePersistentDisk", VolumeLeafTypes.GCEPersistentDiskVolumeSource),
            ("glusterfs", VolumeLeafTypes.GlusterfsPersistentVolumeSource), ("hostPath", VolumeTypes.HostPathVolumeSource),
            ("iscsi", VolumeLeafTypes.ISCSIPersistentVolumeSource), ("local", LocalVolumeSource), ("mountOptions", StrList),
            ("nfs", VolumeTypes.NfsVolumeSource), ("nodeAffinity", VolumeNodeAffinity), ("persistentVolumeReclaimPolicy", Str),
            ("photonPersistentDisk", VolumeLeafTypes.PhotonPersistentDiskVolumeSource), ("portworxVolume", VolumeLeafTypes.PortworxVolumeSource),
            ("quobyte", VolumeLeafTypes.QuobyteVolumeSource), ("rbd", VolumeLeafTypes.RBDPersistentVolumeSource),
            ("scaleIO", VolumeLeafTypes.ScaleIOPersistentVolumeSource), ("storageClassName", Str),
            ("storageos", VolumeLeafTypes.StorageOSPersistentVolumeSource), ("volumeAttributesClassName", Str), ("volumeMode", Str),
            ("vsphereVolume", VolumeLeafTypes.VsphereVirtualDiskVolumeSource)]);

    public static readonly FieldSchema PersistentVolumeStatus = Core("PersistentVolumeStatus",
        "PersistentVolumeStatus is the current status of a persistent volume.",
        [("lastPhaseTransitionTime", Time), ("message", Str), ("phase", Str), ("reason", Str)]);

    public static readonly FieldSchema PersistentVolume = Kind("io.k8s.api.core.v1.PersistentVolume",
        "PersistentVolume (PV) is a storage resource provisioned by an administrator.",
        [("spec", PersistentVolumeSpec), ("status", PersistentVolumeStatus)]);
}
