using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>core/v1 volume structs that depend on meta types only: the in-tree volume sources of pods and persistent
/// volumes, object references, claim status. Kept apart so the kinds that use them form no cycle of static initializers.</summary>
internal static class VolumeLeafTypes
{
    public static readonly FieldSchema ObjectReference = Core("ObjectReference",
        "ObjectReference contains enough information to let you inspect or modify the referred object.",
        [
            ("apiVersion", Str), ("fieldPath", Str), ("kind", Str), ("name", Str), ("namespace", Str), ("resourceVersion", Str),
            ("uid", Str),
        ], mapType: "atomic");

    public static readonly FieldSchema LocalObjectReference = Core("LocalObjectReference",
        "LocalObjectReference contains enough information to let you locate the referenced object inside the same namespace.",
        [("name", Str)], mapType: "atomic");

    public static readonly FieldSchema AWSElasticBlockStoreVolumeSource = Core("AWSElasticBlockStoreVolumeSource",
        "Represents a Persistent Disk resource in AWS.",
        [("fsType", Str), ("partition", I32), ("readOnly", Bool), ("volumeID", Str)], ["volumeID"]);

    public static readonly FieldSchema AzureDiskVolumeSource = Core("AzureDiskVolumeSource",
        "AzureDisk represents an Azure Data Disk mount on the host and bind mount to the pod.",
        [("cachingMode", Str), ("diskName", Str), ("diskURI", Str), ("fsType", Str), ("kind", Str), ("readOnly", Bool)], ["diskName", "diskURI"]);

    public static readonly FieldSchema AzureFilePersistentVolumeSource = Core("AzureFilePersistentVolumeSource",
        "AzureFile represents an Azure File Service mount on the host and bind mount to the pod.",
        [("readOnly", Bool), ("secretName", Str), ("secretNamespace", Str), ("shareName", Str)], ["secretName", "shareName"]);

    public static readonly FieldSchema SecretReference = Core("SecretReference", "SecretReference represents a Secret Reference.",
        [("name", Str), ("namespace", Str)]);

    public static readonly FieldSchema CephFSPersistentVolumeSource = Core("CephFSPersistentVolumeSource",
        "Represents a Ceph Filesystem mount that lasts the lifetime of a pod Cephfs volumes do not support ownership management or SELinux " +
        "relabeling.",
        [("monitors", StrList), ("path", Str), ("readOnly", Bool), ("secretFile", Str), ("secretRef", SecretReference), ("user", Str)], ["monitors"]);

    public static readonly FieldSchema CinderPersistentVolumeSource = Core("CinderPersistentVolumeSource",
        "Represents a cinder volume resource in Openstack.",
        [("fsType", Str), ("readOnly", Bool), ("secretRef", SecretReference), ("volumeID", Str)], ["volumeID"]);

    public static readonly FieldSchema FCVolumeSource = Core("FCVolumeSource", "Represents a Fibre Channel volume.",
        [("fsType", Str), ("lun", I32), ("readOnly", Bool), ("targetWWNs", StrList), ("wwids", StrList)]);

    public static readonly FieldSchema FlexPersistentVolumeSource = Core("FlexPersistentVolumeSource",
        "FlexPersistentVolumeSource represents a generic persistent volume resource that is provisioned/attached using an exec based plugin.",
        [("driver", Str), ("fsType", Str), ("options", StrMap), ("readOnly", Bool), ("secretRef", SecretReference)], ["driver"]);

    public static readonly FieldSchema FlockerVolumeSource = Core("FlockerVolumeSource", "Represents a Flocker volume mounted by the Flocker agent.",
        [("datasetName", Str), ("datasetUUID", Str)]);

    public static readonly FieldSchema GCEPersistentDiskVolumeSource = Core("GCEPersistentDiskVolumeSource",
        "Represents a Persistent Disk resource in Google Compute Engine.",
        [("fsType", Str), ("partition", I32), ("pdName", Str), ("readOnly", Bool)], ["pdName"]);

    public static readonly FieldSchema GlusterfsPersistentVolumeSource = Core("GlusterfsPersistentVolumeSource",
        "Represents a Glusterfs mount that lasts the lifetime of a pod.",
        [("endpoints", Str), ("endpointsNamespace", Str), ("path", Str), ("readOnly", Bool)], ["endpoints", "path"]);

    public static readonly FieldSchema ISCSIPersistentVolumeSource = Core("ISCSIPersistentVolumeSource",
        "ISCSIPersistentVolumeSource represents an ISCSI disk.",
        [("chapAuthDiscovery", Bool), ("chapAuthSession", Bool), ("fsType", Str), ("initiatorName", Str), ("iqn", Str), ("iscsiInterface", Str),
            ("lun", I32), ("portals", StrList), ("readOnly", Bool), ("secretRef", SecretReference), ("targetPortal", Str)],
            ["iqn", "lun", "targetPortal"]);

    public static readonly FieldSchema PhotonPersistentDiskVolumeSource = Core("PhotonPersistentDiskVolumeSource",
        "Represents a Photon Controller persistent disk resource.",
        [("fsType", Str), ("pdID", Str)], ["pdID"]);

    public static readonly FieldSchema PortworxVolumeSource = Core("PortworxVolumeSource",
        "PortworxVolumeSource represents a Portworx volume resource.",
        [("fsType", Str), ("readOnly", Bool), ("volumeID", Str)], ["volumeID"]);

    public static readonly FieldSchema QuobyteVolumeSource = Core("QuobyteVolumeSource",
        "Represents a Quobyte mount that lasts the lifetime of a pod.",
        [("group", Str), ("readOnly", Bool), ("registry", Str), ("tenant", Str), ("user", Str), ("volume", Str)], ["registry", "volume"]);

    public static readonly FieldSchema RBDPersistentVolumeSource = Core("RBDPersistentVolumeSource",
        "Represents a Rados Block Device mount that lasts the lifetime of a pod.",
        [("fsType", Str), ("image", Str), ("keyring", Str), ("monitors", StrList), ("pool", Str), ("readOnly", Bool), ("secretRef", SecretReference),
            ("user", Str)], ["image", "monitors"]);

    public static readonly FieldSchema ScaleIOPersistentVolumeSource = Core("ScaleIOPersistentVolumeSource",
        "ScaleIOPersistentVolumeSource represents a persistent ScaleIO volume",
        [("fsType", Str), ("gateway", Str), ("protectionDomain", Str), ("readOnly", Bool), ("secretRef", SecretReference), ("sslEnabled", Bool),
            ("storageMode", Str), ("storagePool", Str), ("system", Str), ("volumeName", Str)], ["gateway", "secretRef", "system"]);

    public static readonly FieldSchema StorageOSPersistentVolumeSource = Core("StorageOSPersistentVolumeSource",
        "Represents a StorageOS persistent volume resource.",
        [("fsType", Str), ("readOnly", Bool), ("secretRef", ObjectReference), ("volumeName", Str), ("volumeNamespace", Str)]);

    public static readonly FieldSchema VsphereVirtualDiskVolumeSource = Core("VsphereVirtualDiskVolumeSource",
        "Represents a vSphere volume resource.",
        [("fsType", Str), ("storagePolicyID", Str), ("storagePolicyName", Str), ("volumePath", Str)], ["volumePath"]);

    public static readonly FieldSchema ModifyVolumeStatus = Core("ModifyVolumeStatus",
        "ModifyVolumeStatus represents the status object of ControllerModifyVolume operation",
        [("status", Str), ("targetVolumeAttributesClassName", Str)], ["status"]);

    public static readonly FieldSchema PersistentVolumeClaimCondition = Core("PersistentVolumeClaimCondition",
        "PersistentVolumeClaimCondition contains details about state of pvc",
        [("lastProbeTime", Time), ("lastTransitionTime", Time), ("message", Str), ("reason", Str), ("status", Str), ("type", Str)],
            ["status", "type"]);

    public static readonly FieldSchema VolumeHealthCondition = Core("VolumeHealthCondition",
        "VolumeHealthCondition represents an adverse health condition reported for a volume.",
        [("message", Str), ("reason", Str), ("status", Str)], ["reason", "status"]);

    public static readonly FieldSchema VolumeHealthStatus = Core("VolumeHealthStatus",
        "VolumeHealthStatus contains health information for a volume reported by the CSI controller plugin.",
        [("healthConditions", MergeMap(VolumeHealthCondition, "status", ["status", "reason"])), ("lastTransitionTime", Time)]);

    public static readonly FieldSchema PersistentVolumeClaimStatus = Core("PersistentVolumeClaimStatus",
        "PersistentVolumeClaimStatus is the current status of a persistent volume claim.",
        [("accessModes", StrList), ("allocatedResourceStatuses", StrMap), ("allocatedResources", QuantityMap), ("capacity", QuantityMap),
            ("conditions", MergeMap(PersistentVolumeClaimCondition, "type")), ("currentVolumeAttributesClassName", Str),
            ("healthStatus", VolumeHealthStatus), ("modifyVolumeStatus", ModifyVolumeStatus), ("phase", Str)]);

    public static readonly FieldSchema ClusterTrustBundleProjection = Core("ClusterTrustBundleProjection",
        "ClusterTrustBundleProjection describes how to select a set of ClusterTrustBundle objects and project their contents into the pod " +
        "filesystem.",
        [("labelSelector", MetaTypes.LabelSelector), ("name", Str), ("optional", Bool), ("path", Str), ("signerName", Str), ("user", I64)], ["path"]);

    public static readonly FieldSchema GitRepoVolumeSource = Core("GitRepoVolumeSource",
        "Represents a volume that is populated with the contents of a git repository.",
        [("directory", Str), ("repository", Str), ("revision", Str)], ["repository"]);

    public static readonly FieldSchema ISCSIVolumeSource = Core("ISCSIVolumeSource", "Represents an ISCSI disk.",
        [("chapAuthDiscovery", Bool), ("chapAuthSession", Bool), ("fsType", Str), ("initiatorName", Str), ("iqn", Str), ("iscsiInterface", Str),
            ("lun", I32), ("portals", StrList), ("readOnly", Bool), ("secretRef", LocalObjectReference), ("targetPortal", Str)],
            ["iqn", "lun", "targetPortal"]);

    public static readonly FieldSchema GlusterfsVolumeSource = Core("GlusterfsVolumeSource",
        "Represents a Glusterfs mount that lasts the lifetime of a pod.",
        [("endpoints", Str), ("path", Str), ("readOnly", Bool)], ["endpoints", "path"]);

    public static readonly FieldSchema RBDVolumeSource = Core("RBDVolumeSource",
        "Represents a Rados Block Device mount that lasts the lifetime of a pod.",
        [("fsType", Str), ("image", Str), ("keyring", Str), ("monitors", StrList), ("pool", Str), ("readOnly", Bool),
            ("secretRef", LocalObjectReference), ("user", Str)], ["image", "monitors"]);

    public static readonly FieldSchema FlexVolumeSource = Core("FlexVolumeSource",
        "FlexVolume represents a generic volume resource that is provisioned/attached using an exec based plugin.",
        [("driver", Str), ("fsType", Str), ("options", StrMap), ("readOnly", Bool), ("secretRef", LocalObjectReference)], ["driver"]);

    public static readonly FieldSchema CinderVolumeSource = Core("CinderVolumeSource", "Represents a cinder volume resource in Openstack.",
        [("fsType", Str), ("readOnly", Bool), ("secretRef", LocalObjectReference), ("volumeID", Str)], ["volumeID"]);

    public static readonly FieldSchema CephFSVolumeSource = Core("CephFSVolumeSource",
        "Represents a Ceph Filesystem mount that lasts the lifetime of a pod Cephfs volumes do not support ownership management or SELinux " +
        "relabeling.",
        [("monitors", StrList), ("path", Str), ("readOnly", Bool), ("secretFile", Str), ("secretRef", LocalObjectReference), ("user", Str)],
            ["monitors"]);

    public static readonly FieldSchema AzureFileVolumeSource = Core("AzureFileVolumeSource",
        "AzureFile represents an Azure File Service mount on the host and bind mount to the pod.",
        [("readOnly", Bool), ("secretName", Str), ("shareName", Str)], ["secretName", "shareName"]);

    public static readonly FieldSchema ScaleIOVolumeSource = Core("ScaleIOVolumeSource", "ScaleIOVolumeSource represents a persistent ScaleIO volume",
        [("fsType", Str), ("gateway", Str), ("protectionDomain", Str), ("readOnly", Bool), ("secretRef", LocalObjectReference), ("sslEnabled", Bool),
            ("storageMode", Str), ("storagePool", Str), ("system", Str), ("volumeName", Str)], ["gateway", "secretRef", "system"]);

    public static readonly FieldSchema StorageOSVolumeSource = Core("StorageOSVolumeSource", "Represents a StorageOS persistent volume resource.",
        [("fsType", Str), ("readOnly", Bool), ("secretRef", LocalObjectReference), ("volumeName", Str), ("volumeNamespace", Str)]);
}
