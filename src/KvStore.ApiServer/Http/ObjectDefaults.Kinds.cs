using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Http;

/// <summary>kube's defaulting (pkg/apis/*/v1/defaults.go) and create strategies of the workload, batch, storage,
/// policy and networking kinds. Held by KindValidationTests.DefaultsAsKubeSetsThem.</summary>
internal static partial class ObjectDefaults
{
    /// <summary>kube defaults on every write (decoding runs the defaulters); the job strategy's generated selector
    /// only on create.</summary>
    private static void MoreKinds(ResourceInfo resource, JsonObject obj, bool create)
    {
        switch (resource.Resource)
        {
            case "replicasets" or "statefulsets" or "daemonsets": Template(Child(obj, "spec")); break;
            case "jobs": Job(obj, create); break;
            case "cronjobs": CronJob(obj); break;
            case "persistentvolumes": PersistentVolume(obj); break;
            case "persistentvolumeclaims": PersistentVolumeClaim(obj); break;
            case "storageclasses": StorageClass(obj); break;
            case "limitranges": LimitRange(obj); break;
            case "networkpolicies": NetworkPolicy(obj); break;
            case "endpointslices": EndpointSlice(obj); break;
            case "horizontalpodautoscalers": HorizontalPodAutoscaler(obj); break;
        }
    }

    /// <summary>autoscaling/v2's SetDefaults_HorizontalPodAutoscaler (on the stored form, so for v1 too): minReplicas 1, a cpu
    /// Utilization metric of 80% when there is none, and the default scaling rules inside a behavior that is set.</summary>
    private static void HorizontalPodAutoscaler(JsonObject hpa)
    {
        var spec = Child(hpa, "spec");
        Default(spec, "minReplicas", 1);
        if (spec["metrics"] is not JsonArray { Count: > 0 })
        {
            spec["metrics"] = new JsonArray(new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject
                {
                    ["name"] = "cpu",
                    ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = 80 },
                },
            });
        }
        if (spec["behavior"] is not JsonObject behavior) return;
        // GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: each unset part of a direction's rules from kube's defaults
        ScalingRules(Child(behavior, "scaleUp"), window: 0,
            () => [Policy("Pods", 4, 15), Policy("Percent", 100, 15)]);
        ScalingRules(Child(behavior, "scaleDown"), window: 300, () => [Policy("Percent", 100, 15)]);
    }

    private static void ScalingRules(JsonObject rules, int window, Func<JsonNode[]> policies)
    {
        Default(rules, "stabilizationWindowSeconds", window);
        Default(rules, "selectPolicy", "Max");
        if (rules["policies"] is not JsonArray) rules["policies"] = new JsonArray(policies());
    }

    private static JsonObject Policy(string type, int value, int periodSeconds) =>
        new() { ["type"] = type, ["value"] = value, ["periodSeconds"] = periodSeconds };

    /// <summary>The pod template of a workload gets the pod spec's defaults.</summary>
    private static void Template(JsonObject spec)
    {
        if (spec["template"] is JsonObject template && template["spec"] is JsonObject podSpec) PodSpec(podSpec);
    }

    /// <summary>
    /// SetDefaults_Job and the job strategy's generated selector: parallelism and completions 1 when both are unset,
    /// backoffLimit 6, completionMode NonIndexed, suspend false, podReplacementPolicy TerminatingOrFailed (Failed with a
    /// podFailurePolicy); unless manualSelector, the selector and template labels batch.kubernetes.io/controller-uid
    /// and job-name (and their legacy forms); the job's labels default to its template's.
    /// </summary>
    private static void Job(JsonObject job, bool create)
    {
        var spec = Child(job, "spec");
        if (spec["completions"] is null && spec["parallelism"] is null) spec["completions"] = 1;
        Default(spec, "parallelism", 1);
        Default(spec, "backoffLimit", spec["backoffLimitPerIndex"] is null ? 6 : int.MaxValue);
        Default(spec, "completionMode", "NonIndexed");
        Default(spec, "suspend", false);
        Default(spec, "podReplacementPolicy", spec["podFailurePolicy"] is null ? "TerminatingOrFailed" : "Failed");
        var meta = Metadata(job);
        if (create && (spec["manualSelector"] is not JsonValue manual || !manual.GetValue<bool>()))
        {
            var uid = Str(meta["uid"]);
            var name = Str(meta["name"]);
            spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
            var labels = Child(Child(Child(spec, "template"), "metadata"), "labels");
            labels["batch.kubernetes.io/controller-uid"] = uid;
            labels["batch.kubernetes.io/job-name"] = name;
            labels["controller-uid"] = uid;
            labels["job-name"] = name;
        }
        if (meta["labels"] is not JsonObject { Count: > 0 } && spec["template"]?["metadata"]?["labels"] is JsonObject templateLabels)
        {
            meta["labels"] = templateLabels.DeepClone();
        }
        Template(spec);
    }

    /// <summary>SetDefaults_CronJob: concurrencyPolicy Allow, suspend false, history limits 3 and 1.</summary>
    private static void CronJob(JsonObject cronJob)
    {
        var spec = Child(cronJob, "spec");
        Default(spec, "concurrencyPolicy", "Allow");
        Default(spec, "suspend", false);
        Default(spec, "successfulJobsHistoryLimit", 3);
        Default(spec, "failedJobsHistoryLimit", 1);
        if (spec["jobTemplate"] is JsonObject template && template["spec"] is JsonObject jobSpec) Template(jobSpec);
    }

    private static void PersistentVolume(JsonObject pv)
    {
        var spec = Child(pv, "spec");
        Default(spec, "persistentVolumeReclaimPolicy", "Retain");
        Default(spec, "volumeMode", "Filesystem");
        Default(Child(pv, "status"), "phase", "Pending");
    }

    private static void PersistentVolumeClaim(JsonObject pvc)
    {
        Default(Child(pvc, "spec"), "volumeMode", "Filesystem");
        Default(Child(pvc, "status"), "phase", "Pending");
    }

    private static void StorageClass(JsonObject sc)
    {
        Default(sc, "reclaimPolicy", "Delete");
        Default(sc, "volumeBindingMode", "Immediate");
    }

    /// <summary>SetDefaults_LimitRangeItem for Container items: default from max, defaultRequest from default, then from min.</summary>
    private static void LimitRange(JsonObject limitRange)
    {
        foreach (var item in (limitRange["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Str(item["type"]) != "Container") continue;
            var defaults = Child(item, "default");
            var requests = Child(item, "defaultRequest");
            foreach (var (key, value) in (item["max"] as JsonObject ?? []).ToList()) Default(defaults, key, value!.DeepClone());
            foreach (var (key, value) in defaults.ToList()) Default(requests, key, value!.DeepClone());
            foreach (var (key, value) in (item["min"] as JsonObject ?? []).ToList()) Default(requests, key, value!.DeepClone());
        }
    }

    /// <summary>SetDefaults_NetworkPolicy: policyTypes [Ingress] (+ Egress when egress rules are given); ports TCP.</summary>
    private static void NetworkPolicy(JsonObject policy)
    {
        var spec = Child(policy, "spec");
        Child(spec, "podSelector");
        if (spec["policyTypes"] is not JsonArray { Count: > 0 })
        {
            var types = new JsonArray("Ingress");
            if (spec["egress"] is JsonArray { Count: > 0 }) types.Add("Egress");
            spec["policyTypes"] = types;
        }
        foreach (var direction in new[] { "ingress", "egress" })
        {
            foreach (var rule in (spec[direction] as JsonArray ?? []).OfType<JsonObject>())
            {
                foreach (var port in (rule["ports"] as JsonArray ?? []).OfType<JsonObject>()) Default(port, "protocol", "TCP");
            }
        }
    }

    /// <summary>SetDefaults_EndpointPort: name "" and protocol TCP.</summary>
    private static void EndpointSlice(JsonObject slice)
    {
        foreach (var port in (slice["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Default(port, "name", "");
            Default(port, "protocol", "TCP");
        }
    }

    /// <summary>ObjectMeta's maps and lists are omitempty: an empty one (a patch's `annotations: {}`) is not kept.</summary>
    private static void DropEmptyMetadataCollections(JsonObject meta)
    {
        foreach (var name in new[] { "annotations", "labels", "finalizers", "ownerReferences", "managedFields" })
        {
            if (meta[name] is JsonObject { Count: 0 } or JsonArray { Count: 0 }) meta.Remove(name);
        }
    }
}
