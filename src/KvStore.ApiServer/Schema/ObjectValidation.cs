using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.Schema;

/// <summary>ObjectMeta validation (apimachinery/pkg/api/validation/objectmeta.go) and the small kinds' rules.</summary>
internal static class ObjectValidation
{
    /// <summary>Kinds whose names are DNS-1123 labels; services are DNS-1035 labels; the rest DNS-1123 subdomains.</summary>
    private static IEnumerable<string> NameErrors(string kind, string name) => kind switch
    {
        "Namespace" => NameRules.IsDns1123Label(name),
        "Service" => NameRules.IsDns1035Label(name),
        "Role" or "ClusterRole" or "RoleBinding" or "ClusterRoleBinding" => PathSegmentErrors(name),
        _ => NameRules.IsDns1123Subdomain(name),
    };

    /// <summary>path.IsValidPathSegmentName (RBAC names such as "system:controller:x").</summary>
    private static IEnumerable<string> PathSegmentErrors(string name)
    {
        if (name is "." or "..") yield return $"may not be '{name}'";
        if (name.Contains('/')) yield return "may not contain '/'";
        if (name.Contains('%')) yield return "may not contain '%'";
    }

    public static void Meta(ResourceInfo resource, JsonObject obj, JsonObject? old, List<FieldCause> errors)
    {
        var meta = obj["metadata"] as JsonObject;
        var name = meta.Str("name") ?? "";
        var generateName = meta.Str("generateName") ?? "";
        if (name.Length == 0 && old is null)
        {
            if (generateName.Length == 0)
                errors.Add(Required("metadata.name", "name or generateName is required"));
        }
        else if (name.Length > 0)
        {
            foreach (var msg in NameErrors(resource.Kind, name))
                errors.Add(Invalid("metadata.name", name, msg));
        }
        if (resource.Namespaced)
        {
            var ns = meta.Str("namespace");
            if (ns is { Length: > 0 })
                foreach (var msg in NameRules.IsDns1123Label(ns))
                    errors.Add(Invalid("metadata.namespace", ns, msg));
        }
        else if (meta.Str("namespace") is { Length: > 0 })
        {
            errors.Add(Forbidden("metadata.namespace", "not allowed on this type"));
        }
        Labels(meta.StrMap("labels"), "metadata.labels", errors);
        var annotations = meta.StrMap("annotations");
        var total = 0L;
        foreach (var (key, value) in annotations)
        {
            foreach (var msg in NameRules.IsQualifiedName(key.ToLowerInvariant()))
                errors.Add(Invalid("metadata.annotations", key, msg));
            total += key.Length + value.Length;
        }
        if (total > 256 * 1024)
            errors.Add(TooLong("metadata.annotations", 256 * 1024));
        if (meta.Int("generation") is < 0)
            errors.Add(Invalid("metadata.generation", meta.Int("generation"), "must be greater than or equal to 0"));

        LifecycleValidation.Meta(meta, old?["metadata"] as JsonObject, errors);
        if (old?["metadata"] is JsonObject oldMeta)
        {
            Immutable(meta.Str("name"), oldMeta.Str("name"), "metadata.name", errors);
            Immutable(meta.Str("namespace"), oldMeta.Str("namespace"), "metadata.namespace", errors);
            if (meta.Str("uid") is { Length: > 0 } uid && oldMeta.Str("uid") is { Length: > 0 } oldUid && uid != oldUid)
                errors.Add(Invalid("metadata.uid", uid, "field is immutable"));
        }
    }

    public static void Labels(Dictionary<string, string> labels, string field, List<FieldCause> errors)
    {
        foreach (var (key, value) in labels)
        {
            foreach (var msg in NameRules.IsQualifiedName(key))
                errors.Add(Invalid(field, key, msg));
            foreach (var msg in NameRules.IsLabelValue(value))
                errors.Add(Invalid(field, value, msg));
        }
    }

    private static void Immutable(string? value, string? oldValue, string field, List<FieldCause> errors)
    {
        if (value is not null && oldValue is not null && value != oldValue)
            errors.Add(Invalid(field, value, "field is immutable"));
    }

    /// <summary>ConfigMap/Secret: keys of data (and binaryData/stringData) are config keys and not repeated across them;
    /// an immutable object keeps its data.</summary>
    public static void DataKeys(string kind, JsonObject obj, JsonObject? old, List<FieldCause> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var fields = kind == "ConfigMap" ? new[] { "data", "binaryData" } : ["data", "stringData"];
        foreach (var field in fields)
        {
            if (obj[field] is not JsonObject map)
                continue;
            foreach (var (key, _) in map)
            {
                foreach (var msg in NameRules.IsConfigMapKey(key))
                    errors.Add(Invalid($"{field}[{key}]", key, msg));
                if (kind == "ConfigMap" && !seen.Add(key))
                    errors.Add(Invalid($"{field}[{key}]", key, "duplicate of key present in data"));
            }
        }
        if (kind == "Secret" && obj.Str("type") is "kubernetes.io/tls")
            foreach (var key in new[] { "tls.crt", "tls.key" })
                if (obj.Obj("data")?[key] is null && obj.Obj("stringData")?[key] is null)
                    errors.Add(Required($"data[{key}]"));
        if (old is not null && old["immutable"]?.GetValueKind() == System.Text.Json.JsonValueKind.True)
        {
            if (obj["immutable"]?.GetValueKind() != System.Text.Json.JsonValueKind.True)
                errors.Add(Forbidden("immutable", "field is immutable when `immutable` is set"));
            foreach (var field in fields)
                if (!JsonNode.DeepEquals(obj[field], old[field]))
                    errors.Add(Forbidden(field, "field is immutable when `immutable` is set"));
        }
    }

    public static void Ingress(JsonObject? spec, List<FieldCause> errors)
    {
        if (spec is null)
            return;
        if (spec.Obj("defaultBackend") is null && spec.Count("rules") == 0)
            errors.Add(Invalid("spec.rules", new FieldErrors.Raw("[]networking.IngressRule(nil)"),
                "either `defaultBackend` or `rules` must be specified"));
        foreach (var (i, rule) in spec.Items("rules"))
        {
            var host = rule.Str("host");
            if (host is { Length: > 0 })
            {
                var check = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
                foreach (var msg in NameRules.IsDns1123Subdomain(check))
                    errors.Add(Invalid($"spec.rules[{i}].host", host, msg));
            }
            foreach (var (j, path) in rule.Obj("http").Items("paths"))
            {
                var at = $"spec.rules[{i}].http.paths[{j}]";
                var pathType = path.Str("pathType");
                if (pathType is null)
                    errors.Add(Required($"{at}.pathType", "pathType must be specified"));
                else if (pathType is not ("Exact" or "Prefix" or "ImplementationSpecific"))
                    errors.Add(NotSupported($"{at}.pathType", pathType, ["Exact", "ImplementationSpecific", "Prefix"]));
                var p = path.Str("path") ?? "";
                if (pathType is "Exact" or "Prefix" && !p.StartsWith('/'))
                    errors.Add(Invalid($"{at}.path", p, "must be an absolute path"));
                Backend(path.Obj("backend"), $"{at}.backend", errors);
            }
        }
        if (spec.Obj("defaultBackend") is { } backend)
            Backend(backend, "spec.defaultBackend", errors);
    }

    private static void Backend(JsonObject? backend, string at, List<FieldCause> errors)
    {
        var service = backend.Obj("service");
        if (service is null && backend.Obj("resource") is null)
        {
            errors.Add(Invalid(at, "", "resource or service backend is required"));
            return;
        }
        if (service is null)
            return;
        if (service.Str("name") is not { Length: > 0 })
            errors.Add(Required($"{at}.service.name"));
        var port = service.Obj("port");
        var number = port.Int("number");
        var portName = port.Str("name");
        if (number is null && portName is null)
            errors.Add(Required($"{at}.service.port", "port name or number is required"));
        else if (number is not null && portName is not null)
            errors.Add(Invalid($"{at}.service.port", "", "cannot set both port name & port number"));
        else if (number is < 1 or > 65535)
            errors.Add(Invalid($"{at}.service.port.number", number, "must be between 1 and 65535, inclusive"));
    }

    public static void Hpa(JsonObject spec, List<FieldCause> errors)
    {
        var target = spec.Obj("scaleTargetRef");
        if (target.Str("kind") is not { Length: > 0 })
            errors.Add(Required("spec.scaleTargetRef.kind"));
        if (target.Str("name") is not { Length: > 0 })
            errors.Add(Required("spec.scaleTargetRef.name"));
        var max = spec.Int("maxReplicas") ?? 0;
        var min = spec.Int("minReplicas");
        if (min is < 1)
            errors.Add(Invalid("spec.minReplicas", min, "must be greater than or equal to 1"));
        if (max < 1)
            errors.Add(Invalid("spec.maxReplicas", max, "must be greater than 0"));
        if (min is not null && max >= 1 && min > max)
            errors.Add(Invalid("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`"));
        foreach (var (i, metric) in spec.Items("metrics"))
        {
            var type = metric.Str("type");
            string[] types = ["ContainerResource", "External", "Object", "Pods", "Resource"];
            if (type is null)
                errors.Add(Required($"spec.metrics[{i}].type", "must specify a metric source type"));
            else if (!types.Contains(type))
                errors.Add(NotSupported($"spec.metrics[{i}].type", type, types));
            else
            {
                var source = char.ToLowerInvariant(type[0]) + type[1..];
                if (metric.Obj(source) is not { } body)
                    errors.Add(Required($"spec.metrics[{i}].{source}", $"must populate information for the given metric source"));
                else if (body.Obj("target") is not { } t)
                    errors.Add(Required($"spec.metrics[{i}].{source}.target", "must specify a metric target"));
                else if (t.Str("type") is not { } tt)
                    errors.Add(Required($"spec.metrics[{i}].{source}.target.type", "must specify a metric target type"));
                else if (tt is not ("Utilization" or "Value" or "AverageValue"))
                    errors.Add(NotSupported($"spec.metrics[{i}].{source}.target.type", tt, ["AverageValue", "Utilization", "Value"]));
                else if (t.Int("averageUtilization") is < 1 and var utilization)
                    errors.Add(Invalid($"spec.metrics[{i}].{source}.target.averageUtilization", utilization, "must be greater than 0"));
            }
        }
    }

    public static void Lease(JsonObject? spec, List<FieldCause> errors)
    {
        if (spec.Int("leaseDurationSeconds") is <= 0 and var d)
            errors.Add(Invalid("spec.leaseDurationSeconds", d, "must be greater than 0"));
        if (spec.Int("leaseTransitions") is < 0 and var t)
            errors.Add(Invalid("spec.leaseTransitions", t, "must be greater than or equal to 0"));
    }

    public static void Event(JsonObject obj, List<FieldCause> errors)
    {
        var ns = obj.Obj("metadata").Str("namespace");
        var involved = obj.Obj("involvedObject").Str("namespace");
        if (involved is { Length: > 0 } && ns is { Length: > 0 } && involved != ns)
            errors.Add(Invalid("involvedObject.namespace", involved, "does not match event.namespace"));
    }
}
