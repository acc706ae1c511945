using System.Text.Json.Nodes;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.Schema;

/// <summary>
/// kube's validation (pkg/apis/{batch,rbac,policy,storage,networking,discovery,core}/validation) of Job, CronJob,
/// the RBAC kinds, PodDisruptionBudget, ResourceQuota, LimitRange, PersistentVolume(Claim), StorageClass,
/// IngressClass, NetworkPolicy and EndpointSlice: the field errors kube reports most. Held by KindValidationTests.
/// </summary>
internal static class KindValidation
{
    private const string RbacGroup = "rbac.authorization.k8s.io";
    private static readonly string[] AccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

    public static void Validate(string kind, JsonObject obj, JsonObject? old, List<FieldCause> errors)
    {
        var spec = obj["spec"] as JsonObject;
        var oldSpec = old?["spec"] as JsonObject;
        switch (kind)
        {
            case "Job": Job(spec ?? [], "spec", oldSpec, errors); break;
            case "CronJob": CronJob(spec ?? [], errors); break;
            case "Role": Rules(obj, namespaced: true, errors); break;
            case "ClusterRole": Rules(obj, namespaced: false, errors); break;
            case "RoleBinding" or "ClusterRoleBinding": Binding(kind, obj, old, errors); break;
            case "PodDisruptionBudget": Pdb(spec ?? [], errors); break;
            case "ResourceQuota": NonNegativeQuantities(spec.Obj("hard"), "spec.hard", errors); break;
            case "LimitRange": LimitRange(spec, errors); break;
            case "PersistentVolume": PersistentVolume(spec ?? [], errors); break;
            case "PersistentVolumeClaim": PersistentVolumeClaim(spec ?? [], errors); break;
            case "StorageClass": StorageClass(obj, old, errors); break;
            case "IngressClass": IngressClass(spec, oldSpec, errors); break;
            case "NetworkPolicy": NetworkPolicy(spec ?? [], errors); break;
            case "EndpointSlice": EndpointSlice(obj, old, errors); break;
        }
    }

    private static void NonNegative(JsonObject spec, string at, List<FieldCause> errors, params string[] fields)
    {
        foreach (var field in fields)
        {
            if (spec.Int(field) is < 0 and var value) errors.Add(Invalid($"{at}.{field}", value, "must be greater than or equal to 0"));
        }
    }

    /// <summary>ValidateJobSpec: counts, the selector matching the template, restartPolicy OnFailure or Never,
    /// completionMode; on update the selector, template and completions (non-indexed) are immutable.</summary>
    private static void Job(JsonObject spec, string at, JsonObject? oldSpec, List<FieldCause> errors)
    {
        NonNegative(spec, at, errors, "parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished");
        if (spec.Str("completionMode") is { } mode && mode is not ("NonIndexed" or "Indexed"))
            errors.Add(NotSupported($"{at}.completionMode", mode, ["NonIndexed", "Indexed"]));
        var template = spec.Obj("template");
        if (template is null)
        {
            errors.Add(Required($"{at}.template"));
            return;
        }
        var labels = template.Obj("metadata").StrMap("labels");
        if (spec.Obj("selector") is { } selector && !WorkloadValidation.Matches(selector, labels))
            errors.Add(Invalid($"{at}.template.metadata.labels", labels, "`selector` does not match template `labels`"));
        if (template.Obj("spec") is { } podSpec)
            PodValidation.Spec(podSpec, $"{at}.template.spec", errors, ["OnFailure", "Never"]);
        else
            errors.Add(Required($"{at}.template.spec.containers"));
        if (oldSpec is null) return;
        foreach (var field in new[] { "selector", "template", "completionMode" })
        {
            if (oldSpec[field] is { } before && !JsonNode.DeepEquals(before, spec[field]))
                errors.Add(Invalid($"{at}.{field}", new Raw("..."), "field is immutable"));
        }
    }

    /// <summary>ValidateCronJobSpec: a five-field schedule (or @hourly...), concurrencyPolicy, the job template.</summary>
    private static void CronJob(JsonObject spec, List<FieldCause> errors)
    {
        var schedule = spec.Str("schedule");
        if (string.IsNullOrEmpty(schedule))
            errors.Add(Required("spec.schedule"));
        else if (!schedule.StartsWith('@') && schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: not 5 } fields)
            errors.Add(Invalid("spec.schedule", schedule, $"expected exactly 5 fields, found {fields.Length}: {schedule}"));
        if (spec.Str("concurrencyPolicy") is { } policy && policy is not ("Allow" or "Forbid" or "Replace"))
            errors.Add(NotSupported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]));
        NonNegative(spec, "spec", errors, "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit");
        if (spec.Obj("jobTemplate").Obj("spec") is { } jobSpec)
            Job(jobSpec, "spec.jobTemplate.spec", null, errors);
        else
            errors.Add(Required("spec.jobTemplate.spec.template"));
    }

    /// <summary>ValidatePolicyRule for each of rules.</summary>
    private static void Rules(JsonObject role, bool namespaced, List<FieldCause> errors)
    {
        foreach (var (i, rule) in role.Items("rules"))
        {
            var at = $"rules[{i}]";
            if (rule.Count("verbs") == 0) errors.Add(Required($"{at}.verbs", "verbs must contain at least one value"));
            if (rule.Count("nonResourceURLs") > 0)
            {
                var urls = new Raw("[]string{" + string.Join(", ", ((JsonArray)rule["nonResourceURLs"]!).Select(u => Quote((string?)u ?? ""))) + "}");
                if (namespaced) errors.Add(Invalid($"{at}.nonResourceURLs", urls, "namespaced rules cannot apply to non-resource URLs"));
                if (rule.Count("apiGroups") > 0 || rule.Count("resources") > 0 || rule.Count("resourceNames") > 0)
                    errors.Add(Invalid($"{at}.nonResourceURLs", urls, "rules cannot apply to both regular resources and non-resource URLs"));
                continue;
            }
            if (rule.Count("apiGroups") == 0) errors.Add(Required($"{at}.apiGroups", "resource rules must supply at least one api group"));
            if (rule.Count("resources") == 0) errors.Add(Required($"{at}.resources", "resource rules must supply at least one resource"));
        }
    }

    /// <summary>ValidateRoleBinding / ValidateClusterRoleBinding: roleRef and subjects; roleRef cannot change.</summary>
    private static void Binding(string kind, JsonObject binding, JsonObject? old, List<FieldCause> errors)
    {
        var roleRef = binding.Obj("roleRef") ?? [];
        if (roleRef.Str("apiGroup") is var group && group != RbacGroup)
            errors.Add(NotSupported("roleRef.apiGroup", group ?? "", [RbacGroup]));
        string[] kinds = kind == "RoleBinding" ? ["Role", "ClusterRole"] : ["ClusterRole"];
        if (roleRef.Str("kind") is var refKind && !kinds.Contains(refKind))
            errors.Add(NotSupported("roleRef.kind", refKind ?? "", kinds));
        if (string.IsNullOrEmpty(roleRef.Str("name")))
            errors.Add(Required("roleRef.name"));
        foreach (var (i, subject) in binding.Items("subjects"))
        {
            var at = $"subjects[{i}]";
            if (string.IsNullOrEmpty(subject.Str("name"))) errors.Add(Required($"{at}.name"));
            switch (subject.Str("kind"))
            {
                case "ServiceAccount":
                    if (subject.Str("apiGroup") is { Length: > 0 } saGroup) errors.Add(NotSupported($"{at}.apiGroup", saGroup, [""]));
                    if (kind == "ClusterRoleBinding" && string.IsNullOrEmpty(subject.Str("namespace"))) errors.Add(Required($"{at}.namespace"));
                    break;
                case "User" or "Group":
                    if (subject.Str("apiGroup") is var g && g != RbacGroup) errors.Add(NotSupported($"{at}.apiGroup", g ?? "", [RbacGroup]));
                    break;
                case var other:
                    errors.Add(NotSupported($"{at}.kind", other ?? "", ["ServiceAccount", "User", "Group"]));
                    break;
            }
        }
        if (old?.Obj("roleRef") is { } oldRef && !JsonNode.DeepEquals(oldRef, binding["roleRef"]))
            errors.Add(Invalid("roleRef", new Raw(
                $"rbac.RoleRef{{APIGroup:{Quote(roleRef.Str("apiGroup") ?? "")}, Kind:{Quote(roleRef.Str("kind") ?? "")}, " +
                $"Name:{Quote(roleRef.Str("name") ?? "")}}}"), "cannot change roleRef"));
    }

    /// <summary>ValidatePodDisruptionBudgetSpec: one of minAvailable and maxUnavailable, each a non-negative int or a
    /// percent up to 100%.</summary>
    private static void Pdb(JsonObject spec, List<FieldCause> errors)
    {
        if (spec["minAvailable"] is not null && spec["maxUnavailable"] is not null)
            errors.Add(Invalid("spec", new Raw("policy.PodDisruptionBudgetSpec{...}"), "minAvailable and maxUnavailable cannot be both set"));
        foreach (var field in new[] { "minAvailable", "maxUnavailable" })
        {
            switch (spec[field])
            {
                case JsonValue v when v.TryGetValue<long>(out var n) && n < 0:
                    errors.Add(Invalid($"spec.{field}", n, "must be greater than or equal to 0"));
                    break;
                case JsonValue v when v.TryGetValue<string>(out var text):
                    if (!text.EndsWith('%') || !int.TryParse(text[..^1], out var percent) || percent < 0)
                        errors.Add(Invalid($"spec.{field}", text,
                            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', " +
                            "regex used for validation is '[0-9]+%')"));
                    else if (percent > 100)
                        errors.Add(Invalid($"spec.{field}", text, "must not be greater than 100%"));
                    break;
            }
        }
        if (spec.Str("unhealthyPodEvictionPolicy") is { } policy && policy is not ("AlwaysAllow" or "IfHealthyBudget"))
            errors.Add(NotSupported("spec.unhealthyPodEvictionPolicy", policy, ["AlwaysAllow", "IfHealthyBudget"]));
    }

    private static void NonNegativeQuantities(JsonObject? map, string at, List<FieldCause> errors)
    {
        foreach (var (name, value) in map ?? [])
        {
            if (PodValidation.Quantity(value) is < 0)
                errors.Add(Invalid($"{at}[{name}]", value?.ToString() ?? "", "must be greater than or equal to 0"));
        }
    }

    private static void LimitRange(JsonObject? spec, List<FieldCause> errors)
    {
        foreach (var (i, item) in spec.Items("limits"))
        {
            var type = item.Str("type");
            if (type is not ("Container" or "Pod" or "PersistentVolumeClaim"))
                errors.Add(NotSupported($"spec.limits[{i}].type", type ?? "", ["Container", "PersistentVolumeClaim", "Pod"]));
            foreach (var part in new[] { "max", "min", "default", "defaultRequest" })
                NonNegativeQuantities(item.Obj(part), $"spec.limits[{i}].{part}", errors);
        }
    }

    private static void AccessModeList(JsonObject spec, List<FieldCause> errors, string requiredDetail)
    {
        if (spec.Count("accessModes") == 0)
        {
            errors.Add(Required("spec.accessModes", requiredDetail));
            return;
        }
        foreach (var mode in (JsonArray)spec["accessModes"]!)
        {
            if ((string?)mode is var m && !AccessModes.Contains(m))
                errors.Add(NotSupported("spec.accessModes", m ?? "", AccessModes));
        }
    }

    /// <summary>The in-tree and CSI sources a PersistentVolume may be backed by (exactly one is required).</summary>
    private static readonly string[] VolumeSources =
    [
        "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flexVolume", "flocker", "gcePersistentDisk",
        "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO",
        "storageos", "vsphereVolume",
    ];

    private static void PersistentVolume(JsonObject spec, List<FieldCause> errors)
    {
        if (spec.Obj("capacity") is not { Count: > 0 } capacity)
            errors.Add(Required("spec.capacity"));
        else if (capacity["storage"] is null || capacity.Count > 1)
            errors.Add(NotSupported("spec.capacity", new Raw("[]core.ResourceName{" + string.Join(", ", capacity.Select(c => Quote(c.Key))) + "}"),
                ["storage"]));
        AccessModeList(spec, errors, "");
        if (spec.Str("persistentVolumeReclaimPolicy") is { } policy && policy is not ("Delete" or "Recycle" or "Retain"))
            errors.Add(NotSupported("spec.persistentVolumeReclaimPolicy", policy, ["Delete", "Recycle", "Retain"]));
        var sources = VolumeSources.Count(s => spec[s] is not null);
        if (sources == 0) errors.Add(Required("spec", "must specify a volume type"));
        else if (sources > 1) errors.Add(Forbidden("spec", "may not specify more than 1 volume type"));
    }

    private static void PersistentVolumeClaim(JsonObject spec, List<FieldCause> errors)
    {
        AccessModeList(spec, errors, "at least 1 access mode is required");
        if (spec.Obj("resources").Obj("requests")?["storage"] is null)
            errors.Add(Required("spec.resources[storage]"));
        if (spec.Str("volumeMode") is { } mode && mode is not ("Block" or "Filesystem"))
            errors.Add(NotSupported("spec.volumeMode", mode, ["Block", "Filesystem"]));
    }

    /// <summary>ValidateStorageClass (+ update): provisioner required; parameters, provisioner and reclaimPolicy fixed.</summary>
    private static void StorageClass(JsonObject sc, JsonObject? old, List<FieldCause> errors)
    {
        if (string.IsNullOrEmpty(sc.Str("provisioner"))) errors.Add(Required("provisioner"));
        if (sc.Str("reclaimPolicy") is { } policy && policy is not ("Delete" or "Retain"))
            errors.Add(NotSupported("reclaimPolicy", policy, ["Delete", "Retain"]));
        if (sc.Str("volumeBindingMode") is { } mode && mode is not ("Immediate" or "WaitForFirstConsumer"))
            errors.Add(NotSupported("volumeBindingMode", mode, ["Immediate", "WaitForFirstConsumer"]));
        if (old is null) return;
        foreach (var field in new[] { "parameters", "provisioner", "reclaimPolicy" })
        {
            if (!JsonNode.DeepEquals(old[field], sc[field])) errors.Add(Forbidden(field, $"updates to {field} are forbidden."));
        }
    }

    private static void IngressClass(JsonObject? spec, JsonObject? oldSpec, List<FieldCause> errors)
    {
        var controller = spec.Str("controller");
        if (string.IsNullOrEmpty(controller))
            errors.Add(Required("spec.controller"));
        else if (!controller.Contains('/') || controller.StartsWith('/'))
            errors.Add(Invalid("spec.controller", controller, "must be a domain-prefixed path (such as \"acme.io/foo\")"));
        if (oldSpec is not null && oldSpec.Str("controller") is { } before && before != controller)
            errors.Add(Invalid("spec.controller", controller ?? "", "field is immutable"));
    }

    private static void NetworkPolicy(JsonObject spec, List<FieldCause> errors)
    {
        foreach (var (i, type) in (spec["policyTypes"] as JsonArray ?? []).Select((t, i) => (i, (string?)t)))
        {
            if (type is not ("Ingress" or "Egress")) errors.Add(NotSupported($"spec.policyTypes[{i}]", type ?? "",
                ["Ingress", "Egress", "Ingress,Egress"]));
        }
        foreach (var direction in new[] { "ingress", "egress" })
        {
            foreach (var (i, rule) in spec.Items(direction))
            {
                foreach (var (j, port) in rule.Items("ports"))
                {
                    if (port.Str("protocol") is { } protocol && protocol is not ("TCP" or "UDP" or "SCTP"))
                        errors.Add(NotSupported($"spec.{direction}[{i}].ports[{j}].protocol", protocol, ["SCTP", "TCP", "UDP"]));
                }
            }
        }
    }

    /// <summary>ValidateEndpointSlice: addressType (immutable), at least one address per endpoint, addresses of that type.</summary>
    private static void EndpointSlice(JsonObject slice, JsonObject? old, List<FieldCause> errors)
    {
        var type = slice.Str("addressType");
        if (string.IsNullOrEmpty(type))
        {
            errors.Add(Required("addressType"));
        }
        else if (type is not ("FQDN" or "IPv4" or "IPv6"))
        {
            errors.Add(NotSupported("addressType", type, ["FQDN", "IPv4", "IPv6"]));
        }
        foreach (var (i, endpoint) in slice.Items("endpoints"))
        {
            var addresses = endpoint["addresses"] as JsonArray ?? [];
            if (addresses.Count == 0) errors.Add(Required($"endpoints[{i}].addresses", "must contain at least 1 address"));
            for (var j = 0; j < addresses.Count; j++)
            {
                var address = (string?)addresses[j] ?? "";
                var ok = type switch
                {
                    "IPv4" => System.Net.IPAddress.TryParse(address,
                        out var ip4) && ip4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && address.Count(c => c == '.') == 3,
                    "IPv6" => System.Net.IPAddress.TryParse(address,
                        out var ip6) && ip6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6,
                    _ => true,
                };
                if (!ok) errors.Add(Invalid($"endpoints[{i}].addresses[{j}]", address, $"must be a valid {type} address"));
            }
        }
        if (old?.Str("addressType") is { } before && before != type)
            errors.Add(Invalid("addressType", type ?? "", "field is immutable"));
    }
}
