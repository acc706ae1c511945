using System.Text.Json.Nodes;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.Schema;

/// <summary>Pod spec validation (pkg/apis/core/validation/validation.go ValidatePodSpec and friends), the common part.</summary>
internal static class PodValidation
{
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] PullPolicies = ["Always", "IfNotPresent", "Never"];
    private static readonly string[] RestartPolicies = ["Always", "OnFailure", "Never"];
    private static readonly string[] DnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];

    /// <summary>Validates a PodSpec found at <paramref name="at"/> ("spec", "spec.template.spec").</summary>
    public static void Spec(JsonObject spec, string at, List<FieldCause> errors, string[]? restartPolicies = null)
    {
        var volumes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, volume) in spec.Items("volumes"))
        {
            var name = volume.Str("name") ?? "";
            if (name.Length == 0)
                errors.Add(Required($"{at}.volumes[{i}].name"));
            else
            {
                foreach (var msg in NameRules.IsDns1123Label(name))
                    errors.Add(Invalid($"{at}.volumes[{i}].name", name, msg));
                if (!volumes.Add(name))
                    errors.Add(Duplicate($"{at}.volumes[{i}].name", name));
            }
            var sources = volume.Select(p => p.Key).Where(k => k != "name" && volume[k] is not null).ToList();
            if (sources.Count == 0 && name.Length > 0)
            {
                // kube defaults an empty volume to emptyDir; nothing to report.
            }
            else if (sources.Count > 1)
                errors.Add(Forbidden($"{at}.volumes[{i}].{sources[1]}", $"may not specify more than 1 volume type"));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        if (spec.Count("containers") == 0)
            errors.Add(Required($"{at}.containers"));
        foreach (var (i, c) in spec.Items("initContainers"))
            Container(c, $"{at}.initContainers[{i}]", names, volumes, errors);
        foreach (var (i, c) in spec.Items("containers"))
            Container(c, $"{at}.containers[{i}]", names, volumes, errors);

        var restart = spec.Str("restartPolicy");
        var allowed = restartPolicies ?? RestartPolicies;
        if (restart is not null && !allowed.Contains(restart))
            errors.Add(NotSupported($"{at}.restartPolicy", restart, allowed));
        if (spec.Str("dnsPolicy") is { } dns && !DnsPolicies.Contains(dns))
            errors.Add(NotSupported($"{at}.dnsPolicy", dns, DnsPolicies));
        if (spec.Int("terminationGracePeriodSeconds") is < 0 and var grace)
            errors.Add(Invalid($"{at}.terminationGracePeriodSeconds", grace, "must be greater than or equal to 0"));
        if (spec.Int("activeDeadlineSeconds") is <= 0 and var deadline)
            errors.Add(Invalid($"{at}.activeDeadlineSeconds", deadline, "must be between 1 and 2147483647, inclusive"));
        if (spec.Str("serviceAccountName") is { Length: > 0 } sa)
            foreach (var msg in NameRules.IsDns1123Subdomain(sa))
                errors.Add(Invalid($"{at}.serviceAccountName", sa, msg));
        if (spec.Str("hostname") is { Length: > 0 } hostname)
            foreach (var msg in NameRules.IsDns1123Label(hostname))
                errors.Add(Invalid($"{at}.hostname", hostname, msg));
        ObjectValidation.Labels(spec.StrMap("nodeSelector"), $"{at}.nodeSelector", errors);
        foreach (var (i, t) in spec.Items("tolerations"))
        {
            var op = t.Str("operator");
            if (op is not null and not ("Equal" or "Exists"))
                errors.Add(NotSupported($"{at}.tolerations[{i}].operator", op, ["Equal", "Exists"]));
            if (op == "Exists" && t.Str("value") is { Length: > 0 } v)
                errors.Add(Invalid($"{at}.tolerations[{i}].operator", v, "value must be empty when `operator` is 'Exists'"));
            if ((t.Str("key") ?? "").Length == 0 && op != "Exists")
                errors.Add(Invalid($"{at}.tolerations[{i}].operator", op ?? "",
                    "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
            if (t.Str("effect") is { } effect && effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
                errors.Add(NotSupported($"{at}.tolerations[{i}].effect", effect, ["NoExecute", "NoSchedule", "PreferNoSchedule"]));
        }
    }

    private static void Container(JsonObject c, string at, HashSet<string> names, HashSet<string> volumes, List<FieldCause> errors)
    {
        var name = c.Str("name") ?? "";
        if (name.Length == 0)
            errors.Add(Required($"{at}.name"));
        else
        {
            foreach (var msg in NameRules.IsDns1123Label(name))
                errors.Add(Invalid($"{at}.name", name, msg));
            if (!names.Add(name))
                errors.Add(Duplicate($"{at}.name", name));
        }
        if ((c.Str("image") ?? "").Trim().Length == 0)
            errors.Add(Required($"{at}.image"));
        if (c.Str("imagePullPolicy") is { } pull && !PullPolicies.Contains(pull))
            errors.Add(NotSupported($"{at}.imagePullPolicy", pull, PullPolicies));
        if (c.Str("terminationMessagePolicy") is { } tmp && tmp is not ("File" or "FallbackToLogsOnError"))
            errors.Add(NotSupported($"{at}.terminationMessagePolicy", tmp, ["File", "FallbackToLogsOnError"]));

        var portNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in c.Items("ports"))
        {
            var p = $"{at}.ports[{i}]";
            if (port.Str("name") is { Length: > 0 } portName)
            {
                foreach (var msg in NameRules.IsValidPortName(portName))
                    errors.Add(Invalid($"{p}.name", portName, msg));
                if (!portNames.Add(portName))
                    errors.Add(Duplicate($"{p}.name", portName));
            }
            var containerPort = port.Int("containerPort") ?? 0;
            if (containerPort == 0)
                errors.Add(Required($"{p}.containerPort"));
            else if (containerPort is < 1 or > 65535)
                errors.Add(Invalid($"{p}.containerPort", containerPort, "must be between 1 and 65535, inclusive"));
            if (port.Int("hostPort") is { } hostPort && hostPort != 0 && hostPort is < 1 or > 65535)
                errors.Add(Invalid($"{p}.hostPort", hostPort, "must be between 1 and 65535, inclusive"));
            if (port.Str("protocol") is { } protocol && !Protocols.Contains(protocol))
                errors.Add(NotSupported($"{p}.protocol", protocol, Protocols));
        }
        foreach (var (i, env) in c.Items("env"))
            if ((env.Str("name") ?? "").Length == 0)
                errors.Add(Required($"{at}.env[{i}].name"));
        var mountPaths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, mount) in c.Items("volumeMounts"))
        {
            var m = $"{at}.volumeMounts[{i}]";
            var volume = mount.Str("name") ?? "";
            if (volume.Length == 0)
                errors.Add(Required($"{m}.name"));
            else if (!volumes.Contains(volume))
                errors.Add(NotFound($"{m}.name", volume));
            var path = mount.Str("mountPath") ?? "";
            if (path.Length == 0)
                errors.Add(Required($"{m}.mountPath"));
            else if (!mountPaths.Add(path))
                errors.Add(Invalid($"{m}.mountPath", path, "must be unique"));
        }
        Resources(c.Obj("resources"), $"{at}.resources", errors);
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
            if (c.Obj(probe) is { } pr)
                Probe(pr, $"{at}.{probe}", probe, errors);
    }

    private static void Probe(JsonObject probe, string at, string kind, List<FieldCause> errors)
    {
        var handlers = new[] { "exec", "httpGet", "tcpSocket", "grpc" }.Where(h => probe[h] is not null).ToList();
        if (handlers.Count == 0)
            errors.Add(Required(at, "must specify a handler type"));
        else if (handlers.Count > 1)
            errors.Add(Forbidden($"{at}.{handlers[1]}", "may not specify more than 1 handler type"));
        if (kind is "livenessProbe" or "startupProbe" && probe.Int("successThreshold") is { } st && st != 1)
            errors.Add(Invalid($"{at}.successThreshold", st, "must be 1"));
        foreach (var field in new[] { "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold" })
            if (probe.Int(field) is < 0 and var v)
                errors.Add(Invalid($"{at}.{field}", v, "must be greater than or equal to 0"));
        if (probe.Obj("httpGet") is { } get)
            Port(get["port"], $"{at}.httpGet.port", errors);
        if (probe.Obj("tcpSocket") is { } tcp)
            Port(tcp["port"], $"{at}.tcpSocket.port", errors);
    }

    /// <summary>Requests may not exceed limits (ValidateResourceRequirements), negative quantities are invalid.</summary>
    private static void Resources(JsonObject? resources, string at, List<FieldCause> errors)
    {
        var limits = resources.Obj("limits");
        foreach (var kind in new[] { "limits", "requests" })
            if (resources.Obj(kind) is { } map)
                foreach (var (name, value) in map)
                    if (Quantity(value) is < 0)
                        errors.Add(Invalid($"{at}.{kind}[{name}]", value?.ToString() ?? "", "must be greater than or equal to 0"));
        if (resources.Obj("requests") is not { } requests || limits is null)
            return;
        foreach (var (name, value) in requests)
            if (Quantity(value) is { } request && Quantity(limits[name]) is { } limit && request > limit)
                errors.Add(Invalid($"{at}.requests[{name}]", value!.ToString(), $"must be less than or equal to {name} limit of {limits[name]}"));
    }

    /// <summary>A Quantity's value ("250m" = 0.25, "1Gi" = 2^30), or null when it is not one.</summary>
    public static decimal? Quantity(JsonNode? node)
    {
        if (node is not JsonValue v)
            return null;
        if (v.TryGetValue<decimal>(out var number))
            return number;
        if (!v.TryGetValue<string>(out var text) || text.Length == 0)
            return null;
        var end = text.Length;
        while (end > 0 && char.IsLetter(text[end - 1]))
            end--;
        var suffix = text[end..];
        var numberPart = text[..end];
        decimal multiplier = suffix switch
        {
            "" => 1, "n" => 0.000000001m, "u" => 0.000001m, "m" => 0.001m, "k" => 1e3m, "M" => 1e6m, "G" => 1e9m, "T" => 1e12m,
            "P" => 1e15m, "E" => 1e18m, "Ki" => 1024m, "Mi" => 1024m * 1024, "Gi" => 1024m * 1024 * 1024,
            "Ti" => 1024m * 1024 * 1024 * 1024, "Pi" => 1024m * 1024 * 1024 * 1024 * 1024, "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
            _ => -1,
        };
        if (multiplier < 0 || !decimal.TryParse(numberPart, System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var n))
            return null;
        return n * multiplier;
    }

    /// <summary>An IntOrString port: a number in range or an IANA service name.</summary>
    public static void Port(JsonNode? port, string at, List<FieldCause> errors)
    {
        if (port is JsonValue v && v.TryGetValue<long>(out var n))
        {
            if (n is < 1 or > 65535)
                errors.Add(Invalid(at, n, "must be between 1 and 65535, inclusive"));
        }
        else if (port is JsonValue s && s.TryGetValue<string>(out var name))
        {
            foreach (var msg in NameRules.IsValidPortName(name))
                errors.Add(Invalid(at, name, msg));
        }
        else
            errors.Add(Required(at));
    }

    /// <summary>kube lets a pod update change only images, activeDeadlineSeconds, tolerations (additions) and
    /// terminationGracePeriodSeconds; anything else is Forbidden on "spec".</summary>
    public static void Update(JsonObject spec, JsonObject oldSpec, List<FieldCause> errors)
    {
        var a = Mutable(spec);
        var b = Mutable(oldSpec);
        if (!JsonNode.DeepEquals(a, b))
            errors.Add(Forbidden("spec",
                "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`," +
                "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)," +
                "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"));
    }

    /// <summary>The spec with the mutable fields blanked, for comparison.</summary>
    private static JsonObject Mutable(JsonObject spec)
    {
        var copy = (JsonObject)spec.DeepClone();
        foreach (var list in new[] { "containers", "initContainers" })
            if (copy[list] is JsonArray containers)
                foreach (var c in containers.OfType<JsonObject>())
                    c.Remove("image");
        copy.Remove("activeDeadlineSeconds");
        copy.Remove("tolerations");
        copy.Remove("terminationGracePeriodSeconds");
        // Fields the facade itself may fill after creation (scheduling is out of scope, but a bound node may be set).
        copy.Remove("nodeName");
        return copy;
    }
}
