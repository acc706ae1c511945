using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>storage.k8s.io/v1 StorageClass; core/v1 PersistentVolume with its volume sources (also the in-tree sources of a pod volume).</summary>
internal static class StorageTypes
{
    private static FieldSchema Storage(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj("io.k8s.api.storage.v1." + name, description, fields, required);

    public static readonly FieldSchema TopologySelectorLabelRequirement = Core("TopologySelectorLabelRequirement", "A topology selector requirement is a selector that matches given label.",
        [("key", Str), ("values", StrList)], ["key", "values"]);

    public static readonly FieldSchema TopologySelectorTerm = Core("TopologySelectorTerm", "A topology selector term represents the result of label queries.",
        [("matchLabelExpressions", Atomic(TopologySelectorLabelRequirement))]);

    public static readonly FieldSchema StorageClass = Kind("io.k8s.api.storage.v1.StorageClass",
        "StorageClass describes the parameters for a class of storage for which PersistentVolumes can be dynamically provisioned.",
        [("allowVolumeExpansion", Bool), ("allowedTopologies", Atomic(TopologySelectorTerm)), ("mountOptions", StrList), ("parameters", StrMap), ("provisioner", Str), ("reclaimPolicy", Str), ("volumeBindingMode", Str)], ["provisioner"]);

    public static readonly FieldSchema AWSElasticBlockStoreVolumeSource = Core("AWSElasticBlockStoreVolumeSource", "Represents a Persistent Disk resource in AWS.",
        [("fsType", Str), ("partition", I32), ("readOnly", Bool), ("volumeID", Str)], ["volumeID"]);

    public static readonly FieldSchema AzureDiskVolumeSource = Core("AzureDiskVolumeSource", "AzureDisk represents an Azure Data Disk mount on the host and bind mount to the pod.",
        [("cachingMode", Str), ("diskName", Str), ("diskURI", Str), ("fsType", Str), ("kind", Str), ("readOnly", Bool)], ["diskName", "diskURI"]);

    public static readonly FieldSchema AzureFilePersistentVolumeSource = Core("AzureFilePersistentVolumeSource", "AzureFile represents an Azure File Service mount on the host and bind mount to the pod.",
        [("readOnly", Bool), ("secretName", Str), ("secretNamespace", Str), ("shareName", Str)], ["secretName", "shareName"]);

    public static readonly FieldSchema SecretReference = Core("SecretReference", "SecretReference represents a Secret Reference.",
        [("name", Str), ("namespace", Str)]);

    public static readonly FieldSchema CSIPersistentVolumeSource = Core("CSIPersistentVolumeSource", "Represents storage that is managed by an external CSI volume driver",
        [("controllerExpandSecretRef", SecretReference), ("controllerPublishSecretRef", SecretReference), ("driver", Str), ("fsType", Str), ("nodeExpandSecretRef", SecretReference), ("nodePublishSecretRef", SecretReference), ("nodeStageSecretRef", SecretReference), ("readOnly", Bool), ("volumeAttributes", StrMap), ("volumeHandle", Str)], ["driver", "volumeHandle"]);

    public static readonly FieldSchema CephFSPersistentVolumeSource = Core("CephFSPersistentVolumeSource", "Represents a Ceph Filesystem mount that lasts the lifetime of a pod Cephfs volumes do not support ownership management or SELinux relabeling.",
        [("monitors", StrList), ("path", Str), ("readOnly", Bool), ("secretFile", Str), ("secretRef", SecretReference), ("user", Str)], ["monitors"]);

    public static readonly FieldSchema CinderPersistentVolumeSource = Core("CinderPersistentVolumeSource", "Represents a cinder volume resource in Openstack.",
        [("fsType", Str), ("readOnly", Bool), ("secretRef", SecretReference), ("volumeID", Str)], ["volumeID"]);

    public static readonly FieldSchema FCVolumeSource = Core("FCVolumeSource", "Represents a Fibre Channel volume.",
        [("fsType", Str), ("lun", I32), ("readOnly", Bool), ("targetWWNs", StrList), ("wwids", StrList)]);

    public static readonly FieldSchema FlexPersistentVolumeSource = Core("FlexPersistentVolumeSource", "FlexPersistentVolumeSource represents a generic persistent volume resource that is provisioned/attached using an exec based plugin.",
        [("driver", Str), ("fsType", Str), ("options", StrMap), ("readOnly", Bool), ("secretRef", SecretReference)], ["driver"]);

    public static readonly FieldSchema FlockerVolumeSource = Core("FlockerVolumeSource", "Represents a Flocker volume mounted by the Flocker agent.",
        [("datasetName", Str), ("datasetUUID", Str)]);

    public static readonly FieldSchema GCEPersistentDiskVolumeSource = Core("GCEPersistentDiskVolumeSource", "Represents a Persistent Disk resource in Google Compute Engine.",
        [("fsType", Str), ("partition", I32), ("pdName", Str), ("readOnly", Bool)], ["pdName"]);

    public static readonly FieldSchema GlusterfsPersistentVolumeSource = Core("GlusterfsPersistentVolumeSource", "Represents a Glusterfs mount that lasts the lifetime of a pod.",
        [("endpoints", Str), ("endpointsNamespace", Str), ("path", Str), ("readOnly", Bool)], ["endpoints", "path"]);

    public static readonly FieldSchema ISCSIPersistentVolumeSource = Core("ISCSIPersistentVolumeSource", "ISCSIPersistentVolumeSource represents an ISCSI disk.",
        [("chapAuthDiscovery", Bool), ("chapAuthSession", Bool), ("fsType", Str), ("initiatorName", Str), ("iqn", Str), ("iscsiInterface", Str), ("lun", I32), ("portals", StrList), ("readOnly", Bool), ("secretRef", SecretReference), ("targetPortal", Str)], ["iqn", "lun", "targetPortal"]);

    public static readonly FieldSchema LocalVolumeSource = Core("LocalVolumeSource", "Local represents directly-attached storage with node affinity",
        [("fsType", Str), ("path", Str)], ["path"]);

    public static readonly FieldSchema PhotonPersistentDiskVolumeSource = Core("PhotonPersistentDiskVolumeSource", "Represents a Photon Controller persistent disk resource.",
        [("fsType", Str), ("pdID", Str)], ["pdID"]);

    public static readonly FieldSchema PortworxVolumeSource = Core("PortworxVolumeSource", "PortworxVolumeSource represents a Portworx volume resource.",
        [("fsType", Str), ("readOnly", Bool), ("volumeID", Str)], ["volumeID"]);

    public static readonly FieldSchema QuobyteVolumeSource = Core("QuobyteVolumeSource", "Represents a Quobyte mount that lasts the lifetime of a pod.",
        [("group", Str), ("readOnly", Bool), ("registry", Str), ("tenant", Str), ("user", Str), ("volume", Str)], ["registry", "volume"]);

    public static readonly FieldSchema RBDPersistentVolumeSource = Core("RBDPersistentVolumeSource", "Represents a Rados Block Device mount that lasts the lifetime of a pod.",
        [("fsType", Str), ("image", Str), ("keyring", Str), ("monitors", StrList), ("pool", Str), ("readOnly", Bool), ("secretRef", SecretReference), ("user", Str)], ["image", "monitors"]);

    public static readonly FieldSchema ScaleIOPersistentVolumeSource = Core("ScaleIOPersistentVolumeSource", "ScaleIOPersistentVolumeSource represents a persistent ScaleIO volume",
        [("fsType", Str), ("gateway", Str), ("protectionDomain", Str), ("readOnly", Bool), ("secretRef", SecretReference), ("sslEnabled", Bool), ("storageMode", Str), ("storagePool", Str), ("system", Str), ("volumeName", Str)], ["gateway", "secretRef", "system"]);

    public static readonly FieldSchema StorageOSPersistentVolumeSource = Core("StorageOSPersistentVolumeSource", "Represents a StorageOS persistent volume resource.",
        [("fsType", Str), ("readOnly", Bool), ("secretRef", CoreKinds.ObjectReference), ("volumeName", Str), ("volumeNamespace", Str)]);

    public static readonly FieldSchema VolumeNodeAffinity = Core("VolumeNodeAffinity", "VolumeNodeAffinity defines constraints that limit what nodes this volume can be accessed from.",
        [("required", PodTypes.NodeSelector)]);

    public static readonly FieldSchema VsphereVirtualDiskVolumeSource = Core("VsphereVirtualDiskVolumeSource", "Represents a vSphere volume resource.",
        [("fsType", Str), ("storagePolicyID", Str), ("storagePolicyName", Str), ("volumePath", Str)], ["volumePath"]);

    public static readonly FieldSchema PersistentVolumeSpec = Core("PersistentVolumeSpec", "PersistentVolumeSpec is the specification of a persistent volume.",
        [("accessModes", StrList), ("awsElasticBlockStore", AWSElasticBlockStoreVolumeSource), ("azureDisk", AzureDiskVolumeSource), ("azureFile", AzureFilePersistentVolumeSource), ("capacity", QuantityMap), ("cephfs", CephFSPersistentVolumeSource), ("cinder", CinderPersistentVolumeSource), ("claimRef", CoreKinds.ObjectReference), ("csi", CSIPersistentVolumeSource), ("fc", FCVolumeSource), ("flexVolume", FlexPersistentVolumeSource), ("flocker", FlockerVolumeSource), ("gcePersistentDisk", GCEPersistentDiskVolumeSource), ("glusterfs", GlusterfsPersistentVolumeSource), ("hostPath", VolumeTypes.HostPathVolumeSource), ("iscsi", ISCSIPersistentVolumeSource), ("local", LocalVolumeSource), ("mountOptions", StrList), ("nfs", VolumeTypes.NfsVolumeSource), ("nodeAffinity", VolumeNodeAffinity), ("persistentVolumeReclaimPolicy", Str), ("photonPersistentDisk", PhotonPersistentDiskVolumeSource), ("portworxVolume", PortworxVolumeSource), ("quobyte", QuobyteVolumeSource), ("rbd", RBDPersistentVolumeSource), ("scaleIO", ScaleIOPersistentVolumeSource), ("storageClassName", Str), ("storageos", StorageOSPersistentVolumeSource), ("volumeAttributesClassName", Str), ("volumeMode", Str), ("vsphereVolume", VsphereVirtualDiskVolumeSource)]);

    public static readonly FieldSchema PersistentVolumeStatus = Core("PersistentVolumeStatus", "PersistentVolumeStatus is the current status of a persistent volume.",
        [("lastPhaseTransitionTime", Time), ("message", Str), ("phase", Str), ("reason", Str)]);

    public static readonly FieldSchema PersistentVolume = Kind("io.k8s.api.core.v1.PersistentVolume",
        "PersistentVolume (PV) is a storage resource provisioned by an administrator.",
        [("spec", PersistentVolumeSpec), ("status", PersistentVolumeStatus)]);

    public static readonly FieldSchema ModifyVolumeStatus = Core("ModifyVolumeStatus", "ModifyVolumeStatus represents the status object of ControllerModifyVolume operation",
        [("status", Str), ("targetVolumeAttributesClassName", Str)], ["status"]);

    public static readonly FieldSchema PersistentVolumeClaimCondition = Core("PersistentVolumeClaimCondition", "PersistentVolumeClaimCondition contains details about state of pvc",
        [("lastProbeTime", Time), ("lastTransitionTime", Time), ("message", Str), ("reason", Str), ("status", Str), ("type", Str)], ["status", "type"]);

    public static readonly FieldSchema VolumeHealthCondition = Core("VolumeHealthCondition", "VolumeHealthCondition represents an adverse health condition reported for a volume.",
        [("message", Str), ("reason", Str), ("status", Str)], ["reason", "status"]);

    public static readonly FieldSchema VolumeHealthStatus = Core("VolumeHealthStatus", "VolumeHealthStatus contains health information for a volume reported by the CSI controller plugin.",
        [("healthConditions", MergeMap(VolumeHealthCondition, "status", ["status", "reason"])), ("lastTransitionTime", Time)]);

    public static readonly FieldSchema PersistentVolumeClaimStatus = Core("PersistentVolumeClaimStatus", "PersistentVolumeClaimStatus is the current status of a persistent volume claim.",
        [("accessModes", StrList), ("allocatedResourceStatuses", StrMap), ("allocatedResources", QuantityMap), ("capacity", QuantityMap), ("conditions", MergeMap(PersistentVolumeClaimCondition, "type")), ("currentVolumeAttributesClassName", Str), ("healthStatus", VolumeHealthStatus), ("modifyVolumeStatus", ModifyVolumeStatus), ("phase", Str)]);

    public static readonly FieldSchema ConfigMapNodeConfigSource = Core("ConfigMapNodeConfigSource", "ConfigMapNodeConfigSource contains the information to reference a ConfigMap as a config source for the Node.",
        [("kubeletConfigKey", Str), ("name", Str), ("namespace", Str), ("resourceVersion", Str), ("uid", Str)], ["kubeletConfigKey", "name", "namespace"]);

    public static readonly FieldSchema ClusterTrustBundleProjection = Core("ClusterTrustBundleProjection", "ClusterTrustBundleProjection describes how to select a set of ClusterTrustBundle objects and project their contents into the pod filesystem.",
        [("labelSelector", MetaTypes.LabelSelector), ("name", Str), ("optional", Bool), ("path", Str), ("signerName", Str), ("user", I64)], ["path"]);

    public static readonly FieldSchema GitRepoVolumeSource = Core("GitRepoVolumeSource", "Represents a volume that is populated with the contents of a git repository.",
        [("directory", Str), ("repository", Str), ("revision", Str)], ["repository"]);

    public static readonly FieldSchema ISCSIVolumeSource = Core("ISCSIVolumeSource", "Represents an ISCSI disk.",
        [("chapAuthDiscovery", Bool), ("chapAuthSession", Bool), ("fsType", Str), ("initiatorName", Str), ("iqn", Str), ("iscsiInterface", Str), ("lun", I32), ("portals", StrList), ("readOnly", Bool), ("secretRef", VolumeTypes.LocalObjectReference), ("targetPortal", Str)], ["iqn", "lun", "targetPortal"]);

    public static readonly FieldSchema GlusterfsVolumeSource = Core("GlusterfsVolumeSource", "Represents a Glusterfs mount that lasts the lifetime of a pod.",
        [("endpoints", Str), ("path", Str), ("readOnly", Bool)], ["endpoints", "path"]);

    public static readonly FieldSchema RBDVolumeSource = Core("RBDVolumeSource", "Represents a Rados Block Device mount that lasts the lifetime of a pod.",
        [("fsType", Str), ("image", Str), ("keyring", Str), ("monitors", StrList), ("pool", Str), ("readOnly", Bool), ("secretRef", VolumeTypes.LocalObjectReference), ("user", Str)], ["image", "monitors"]);

    public static readonly FieldSchema FlexVolumeSource = Core("FlexVolumeSource", "FlexVolume represents a generic volume resource that is provisioned/attached using an exec based plugin.",
        [("driver", Str), ("fsType", Str), ("options", StrMap), ("readOnly", Bool), ("secretRef", VolumeTypes.LocalObjectReference)], ["driver"]);

    public static readonly FieldSchema CinderVolumeSource = Core("CinderVolumeSource", "Represents a cinder volume resource in Openstack.",
        [("fsType", Str), ("readOnly", Bool), ("secretRef", VolumeTypes.LocalObjectReference), ("volumeID", Str)], ["volumeID"]);

    public static readonly FieldSchema CephFSVolumeSource = Core("CephFSVolumeSource", "Represents a Ceph Filesystem mount that lasts the lifetime of a pod Cephfs volumes do not support ownership management or SELinux relabeling.",
        [("monitors", StrList), ("path", Str), ("readOnly", Bool), ("secretFile", Str), ("secretRef", VolumeTypes.LocalObjectReference), ("user", Str)], ["monitors"]);

    public static readonly FieldSchema AzureFileVolumeSource = Core("AzureFileVolumeSource", "AzureFile represents an Azure File Service mount on the host and bind mount to the pod.",
        [("readOnly", Bool), ("secretName", Str), ("shareName", Str)], ["secretName", "shareName"]);

    public static readonly FieldSchema ScaleIOVolumeSource = Core("ScaleIOVolumeSource", "ScaleIOVolumeSource represents a persistent ScaleIO volume",
        [("fsType", Str), ("gateway", Str), ("protectionDomain", Str), ("readOnly", Bool), ("secretRef", VolumeTypes.LocalObjectReference), ("sslEnabled", Bool), ("storageMode", Str), ("storagePool", Str), ("system", Str), ("volumeName", Str)], ["gateway", "secretRef", "system"]);

    public static readonly FieldSchema StorageOSVolumeSource = Core("StorageOSVolumeSource", "Represents a StorageOS persistent volume resource.",
        [("fsType", Str), ("readOnly", Bool), ("secretRef", VolumeTypes.LocalObjectReference), ("volumeName", Str), ("volumeNamespace", Str)]);

    public static readonly FieldSchema PersistentVolumeSource = Core("PersistentVolumeSource", "PersistentVolumeSource is similar to VolumeSource but meant for the administrator who creates PVs.",
        [("awsElasticBlockStore", AWSElasticBlockStoreVolumeSource), ("azureDisk", AzureDiskVolumeSource), ("azureFile", AzureFilePersistentVolumeSource), ("cephfs", CephFSPersistentVolumeSource), ("cinder", CinderPersistentVolumeSource), ("csi", CSIPersistentVolumeSource), ("fc", FCVolumeSource), ("flexVolume", FlexPersistentVolumeSource), ("flocker", FlockerVolumeSource), ("gcePersistentDisk", GCEPersistentDiskVolumeSource), ("glusterfs", GlusterfsPersistentVolumeSource), ("hostPath", VolumeTypes.HostPathVolumeSource), ("iscsi", ISCSIPersistentVolumeSource), ("local", LocalVolumeSource), ("nfs", VolumeTypes.NfsVolumeSource), ("photonPersistentDisk", PhotonPersistentDiskVolumeSource), ("portworxVolume", PortworxVolumeSource), ("quobyte", QuobyteVolumeSource), ("rbd", RBDPersistentVolumeSource), ("scaleIO", ScaleIOPersistentVolumeSource), ("storageos", StorageOSPersistentVolumeSource), ("vsphereVolume", VsphereVirtualDiskVolumeSource)]);

    public static readonly FieldSchema PersistentVolumeClaimTemplate = Core("PersistentVolumeClaimTemplate", "PersistentVolumeClaimTemplate is used to produce PersistentVolumeClaim objects as part of an EphemeralVolumeSource.",
        [("metadata", MetaTypes.ObjectMeta), ("spec", VolumeTypes.PersistentVolumeClaimSpec)], ["spec"]);

    public static readonly FieldSchema SecretProjection = Core("SecretProjection", "Adapts a secret into a projected volume.",
        [("items", Atomic(VolumeTypes.KeyToPath)), ("name", Str), ("optional", Bool)]);

    public static readonly FieldSchema DownwardAPIProjection = Core("DownwardAPIProjection", "Represents downward API info for projecting into a projected volume.",
        [("items", Atomic(VolumeTypes.DownwardApiVolumeFile))]);

    public static readonly FieldSchema ConfigMapProjection = Core("ConfigMapProjection", "Adapts a ConfigMap into a projected volume.",
        [("items", Atomic(VolumeTypes.KeyToPath)), ("name", Str), ("optional", Bool)]);

    public static readonly FieldSchema PodCertificateProjection = Core("PodCertificateProjection", "PodCertificateProjection provides a private key and X.509 certificate in the pod filesystem.",
        [("certificateChainPath", Str), ("credentialBundlePath", Str), ("keyPath", Str), ("keyType", Str), ("maxExpirationSeconds", I32), ("signerName", Str), ("user", I64), ("userAnnotations", StrMap)]);

    public static readonly FieldSchema PodReadinessGate = Core("PodReadinessGate", "PodReadinessGate contains the reference to a pod condition",
        [("conditionType", Str)], ["conditionType"]);

    public static readonly FieldSchema PodOS = Core("PodOS", "PodOS defines the OS parameters of a pod.",
        [("name", Str)], ["name"]);

    public static readonly FieldSchema PodSchedulingGate = Core("PodSchedulingGate", "PodSchedulingGate is associated to a Pod to guard its scheduling.",
        [("name", Str)], ["name"]);

    public static readonly FieldSchema PodSchedulingGroup = Core("PodSchedulingGroup", "PodSchedulingGroup identifies the runtime scheduling group instance that a Pod belongs to.",
        [("podGroupName", Str)]);

    public static readonly FieldSchema EvictionResponder = Core("EvictionResponder", "EvictionResponder allows you to specify the responder reacting to an Eviction.",
        [("name", Str), ("priority", I32)], ["name", "priority"]);

    public static readonly FieldSchema ContainerRestartRuleOnExitCodes = Core("ContainerRestartRuleOnExitCodes", "ContainerRestartRuleOnExitCodes describes the condition for handling an exited container based on its exit codes.",
        [("operator", Str), ("values", SetList(I32))]);

    public static readonly FieldSchema ContainerRestartRule = Core("ContainerRestartRule", "ContainerRestartRule describes how a container exit is handled.",
        [("action", Str), ("exitCodes", ContainerRestartRuleOnExitCodes)]);

    public static readonly FieldSchema EphemeralContainerCommon = Core("EphemeralContainerCommon", "EphemeralContainerCommon is a copy of all fields in Container to be inlined in EphemeralContainer.",
        [("args", StrList), ("command", StrList), ("env", MergeMap(ContainerTypes.EnvVar, "name")), ("envFrom", Atomic(ContainerTypes.EnvFromSource)), ("image", Str), ("imagePullPolicy", Str), ("lifecycle", ContainerTypes.Lifecycle), ("livenessProbe", ContainerTypes.Probe), ("name", Str), ("ports", MergeMap(ContainerTypes.ContainerPort, "containerPort", ["containerPort", "protocol"])), ("readinessProbe", ContainerTypes.Probe), ("resizePolicy", Atomic(ContainerTypes.ContainerResizePolicy)), ("resources", ContainerTypes.ResourceRequirements), ("restartPolicy", Str), ("restartPolicyRules", Atomic(ContainerRestartRule)), ("securityContext", ContainerTypes.SecurityContext), ("startupProbe", ContainerTypes.Probe), ("stdin", Bool), ("stdinOnce", Bool), ("terminationMessagePath", Str), ("terminationMessagePolicy", Str), ("tty", Bool), ("volumeDevices", MergeMap(ContainerTypes.VolumeDevice, "devicePath")), ("volumeMounts", MergeMap(ContainerTypes.VolumeMount, "mountPath")), ("workingDir", Str)], ["name"]);

    public static readonly FieldSchema Sysctl = Core("Sysctl", "Sysctl defines a kernel parameter to be set",
        [("name", Str), ("value", Str)], ["name", "value"]);

    public static readonly FieldSchema PodAffinity = Core("PodAffinity", "Pod affinity is a group of inter pod affinity scheduling rules.",
        [("preferredDuringSchedulingIgnoredDuringExecution", Atomic(PodTypes.WeightedPodAffinityTerm)), ("requiredDuringSchedulingIgnoredDuringExecution", Atomic(PodTypes.PodAffinityTerm))]);

    public static readonly FieldSchema PodAntiAffinity = Core("PodAntiAffinity", "Pod anti affinity is a group of inter pod anti affinity scheduling rules.",
        [("preferredDuringSchedulingIgnoredDuringExecution", Atomic(PodTypes.WeightedPodAffinityTerm)), ("requiredDuringSchedulingIgnoredDuringExecution", Atomic(PodTypes.PodAffinityTerm))]);

    public static readonly FieldSchema PodDNSConfigOption = Core("PodDNSConfigOption", "PodDNSConfigOption defines DNS resolver options of a pod.",
        [("name", Str), ("value", Str)]);

    public static readonly FieldSchema ProbeHandler = Core("ProbeHandler", "ProbeHandler defines a specific action that should be taken in a probe.",
        [("exec", ContainerTypes.ExecAction), ("grpc", ContainerTypes.GrpcAction), ("httpGet", ContainerTypes.HttpGetAction), ("tcpSocket", ContainerTypes.TcpSocketAction)]);

    public static readonly FieldSchema FileKeySelector = Core("FileKeySelector", "FileKeySelector selects a key of the env file.",
        [("key", Str), ("optional", Bool), ("path", Str), ("volumeName", Str)], ["key", "path", "volumeName"]);
}
