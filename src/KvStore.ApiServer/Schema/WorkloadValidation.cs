using System.Text.Json.Nodes;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.Schema;

/// <summary>apps/v1 spec validation (pkg/apis/apps/validation/validation.go) and Service spec validation.</summary>
internal static class WorkloadValidation
{
    public static void Spec(string kind, JsonObject spec, JsonObject? oldSpec, List<FieldCause> errors)
    {
        if (spec.Int("replicas") is < 0 and var replicas)
            errors.Add(Invalid("spec.replicas", replicas, "must be greater than or equal to 0"));
        foreach (var field in new[] { "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds" })
            if (spec.Int(field) is < 0 and var v)
                errors.Add(Invalid($"spec.{field}", v, "must be greater than or equal to 0"));

        var selector = spec.Obj("selector");
        if (selector is null)
            errors.Add(Required("spec.selector"));
        else
        {
            ObjectValidation.Labels(selector.StrMap("matchLabels"), "spec.selector.matchLabels", errors);
            foreach (var (i, req) in selector.Items("matchExpressions"))
            {
                var op = req.Str("operator");
                var count = req.Count("values");
                string[] ops = ["In", "NotIn", "Exists", "DoesNotExist"];
                if (op is null || !ops.Contains(op))
                    errors.Add(Invalid($"spec.selector.matchExpressions[{i}].operator", op ?? "", "not a valid selector operator"));
                else if (op is "In" or "NotIn" && count == 0)
                    errors.Add(Required($"spec.selector.matchExpressions[{i}].values", "must be specified when `operator` is 'In' or 'NotIn'"));
                else if (op is "Exists" or "DoesNotExist" && count > 0)
                    errors.Add(Forbidden($"spec.selector.matchExpressions[{i}].values",
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
            }
            if (selector.StrMap("matchLabels").Count == 0 && selector.Count("matchExpressions") == 0)
                errors.Add(Invalid("spec.selector", SelectorText(selector), $"empty selector is invalid for {kind.ToLowerInvariant()}"));
        }

        var template = spec.Obj("template");
        if (template is null)
        {
            if (kind != "ReplicaSet" || spec.Int("replicas") is not 0)
                errors.Add(Required("spec.template"));
        }
        else
        {
            var labels = template.Obj("metadata").StrMap("labels");
            ObjectValidation.Labels(labels, "spec.template.metadata.labels", errors);
            if (selector is not null && !Matches(selector, labels))
                errors.Add(Invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"));
            if (template.Obj("spec") is { } podSpec)
                PodValidation.Spec(podSpec, "spec.template.spec", errors, ["Always"]);
            else
                errors.Add(Required("spec.template.spec.containers"));
        }

        if (kind == "Deployment" && spec.Obj("strategy") is { } strategy)
        {
            var type = strategy.Str("type");
            if (type is not null and not ("Recreate" or "RollingUpdate"))
                errors.Add(NotSupported("spec.strategy.type", type, ["Recreate", "RollingUpdate"]));
            if (type == "Recreate" && strategy.Obj("rollingUpdate") is not null)
                errors.Add(Forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
        }
        if (kind is "StatefulSet" or "DaemonSet" && spec.Obj("updateStrategy").Str("type") is { } ut && ut is not ("OnDelete" or "RollingUpdate"))
            errors.Add(NotSupported("spec.updateStrategy.type", ut, ["OnDelete", "RollingUpdate"]));
        if (kind == "StatefulSet" && spec.Str("podManagementPolicy") is { } pmp && pmp is not ("OrderedReady" or "Parallel"))
            errors.Add(NotSupported("spec.podManagementPolicy", pmp, ["OrderedReady", "Parallel"]));

        if (oldSpec is not null)
        {
            if (oldSpec.Obj("selector") is { } oldSelector && selector is not null && !JsonNode.DeepEquals(selector, oldSelector))
                errors.Add(Invalid("spec.selector", SelectorText(selector), "field is immutable"));
            if (kind == "StatefulSet")
            {
                var a = (JsonObject)spec.DeepClone();
                var b = (JsonObject)oldSpec.DeepClone();
                foreach (var mutable in new[] { "replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                    "minReadySeconds", "revisionHistoryLimit" })
                {
                    a.Remove(mutable);
                    b.Remove(mutable);
                }
                if (!JsonNode.DeepEquals(a, b))
                    errors.Add(Forbidden("spec",
                        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', " +
                        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
            }
        }
    }

    /// <summary>Whether a LabelSelector (matchLabels and matchExpressions) selects the labels.</summary>
    public static bool Matches(JsonObject selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (k, v) in selector.StrMap("matchLabels"))
            if (!labels.TryGetValue(k, out var have) || have != v)
                return false;
        foreach (var (_, req) in selector.Items("matchExpressions"))
        {
            var key = req.Str("key") ?? "";
            var values = req["values"] is JsonArray a ? a.Select(n => n?.ToString()).ToHashSet() : [];
            var has = labels.TryGetValue(key, out var value);
            var ok = req.Str("operator") switch
            {
                "In" => has && values.Contains(value),
                "NotIn" => !has || !values.Contains(value),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
                return false;
        }
        return true;
    }

    /// <summary>Go's %#v-like rendering of a LabelSelector as kube prints it in selector errors.</summary>
    private static FieldErrors.Raw SelectorText(JsonObject selector)
    {
        var labels = selector.StrMap("matchLabels");
        var ml = labels.Count == 0 ? "map[string]string(nil)" : FieldErrors.Render(labels);
        var me = selector.Count("matchExpressions") == 0 ? "[]v1.LabelSelectorRequirement(nil)" : "[]v1.LabelSelectorRequirement{...}";
        return new($"v1.LabelSelector{{MatchLabels:{ml}, MatchExpressions:{me}}}");
    }
}

internal static class ServiceValidation
{
    private static readonly string[] Types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

    public static void Spec(JsonObject spec, JsonObject? oldSpec, List<FieldCause> errors)
    {
        var type = spec.Str("type") ?? "ClusterIP";
        if (!Types.Contains(type))
            errors.Add(NotSupported("spec.type", type, Types));
        var headless = spec.Str("clusterIP") == "None";
        if (type == "ExternalName")
        {
            if (spec.Str("externalName") is not { Length: > 0 } external)
                errors.Add(Required("spec.externalName"));
            else
                foreach (var msg in NameRules.IsDns1123Subdomain(external.TrimEnd('.')))
                    errors.Add(Invalid("spec.externalName", external, msg));
        }
        else if (spec.Count("ports") == 0 && !headless)
            errors.Add(Required("spec.ports"));

        var multiple = spec.Count("ports") > 1;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<(long, string)>();
        foreach (var (i, port) in spec.Items("ports"))
        {
            var at = $"spec.ports[{i}]";
            var name = port.Str("name") ?? "";
            if (multiple && name.Length == 0)
                errors.Add(Required($"{at}.name"));
            else if (name.Length > 0)
            {
                foreach (var msg in NameRules.IsDns1123Label(name))
                    errors.Add(Invalid($"{at}.name", name, msg));
                if (!names.Add(name))
                    errors.Add(Duplicate($"{at}.name", name));
            }
            var number = port.Int("port") ?? 0;
            if (number is < 1 or > 65535)
                errors.Add(Invalid($"{at}.port", number, "must be between 1 and 65535, inclusive"));
            var protocol = port.Str("protocol") ?? "TCP";
            if (protocol is not ("TCP" or "UDP" or "SCTP"))
                errors.Add(NotSupported($"{at}.protocol", protocol, ["SCTP", "TCP", "UDP"]));
            else if (!keys.Add((number, protocol)))
                errors.Add(Duplicate(at, $"{number}/{protocol}"));
            if (port["targetPort"] is { } target)
                PodValidation.Port(target, $"{at}.targetPort", errors);
            if (port.Int("nodePort") is { } nodePort and not 0)
            {
                if (type is not ("NodePort" or "LoadBalancer"))
                    errors.Add(Forbidden($"{at}.nodePort", "may not be used when `type` is 'ClusterIP'"));
                else if (nodePort is < 1 or > 65535)
                    errors.Add(Invalid($"{at}.nodePort", nodePort, "must be between 1 and 65535, inclusive"));
            }
        }
        ObjectValidation.Labels(spec.StrMap("selector"), "spec.selector", errors);
        if (spec.Str("sessionAffinity") is { } affinity && affinity is not ("ClientIP" or "None"))
            errors.Add(NotSupported("spec.sessionAffinity", affinity, ["ClientIP", "None"]));
        if (spec.Str("clusterIP") is { Length: > 0 } ip && ip != "None" && !System.Net.IPAddress.TryParse(ip, out _))
            errors.Add(Invalid("spec.clusterIPs[0]", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
        if (oldSpec?.Str("clusterIP") is { Length: > 0 } oldIp && spec.Str("clusterIP") is { Length: > 0 } newIp && oldIp != newIp &&
            type != "ExternalName" && oldSpec.Str("type") != "ExternalName")
            errors.Add(Invalid("spec.clusterIPs[0]", new FieldErrors.Raw($"[]string{{{FieldErrors.Quote(newIp)}}}"), "may not change once set"));
    }
}
