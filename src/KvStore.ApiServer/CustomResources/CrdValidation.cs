using System.Text.Json;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// kube-apiserver's validation of a CustomResourceDefinition (apiextensions validation.go, v1 rules): the name is
/// plural.group, the group a domain (protected groups need the approval annotation), the scope, the names, exactly one
/// storage version, a structural schema per version, printer columns, subresources, conversion; on update the group
/// and plural (and, once established, the scope and kind) stay. The facade calls no conversion webhooks, so a CRD that
/// asks for one is refused. Held by CustomResourceKubectlTests.InvalidCrdsAndNameConflictsAreReportedAsKubeDoes.
/// </summary>
internal static class CrdValidation
{
    private static readonly string[] Scopes = ["Cluster", "Namespaced"];
    private static readonly string[] ColumnTypes = ["boolean", "date", "integer", "number", "string"];
    private static readonly string[] ColumnFormats = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"];
    private const string ApprovalAnnotation = "api-approved.kubernetes.io";

    public static void Validate(JsonObject obj, JsonObject? old, List<FieldCause> errors)
    {
        var crd = Crd.Read(obj);
        var spec = obj["spec"] as JsonObject ?? [];
        if (crd.Name.Length > 0 && crd.Name != $"{crd.Names.Plural}.{crd.Group}")
            errors.Add(Invalid("metadata.name", crd.Name, "must be spec.names.plural+\".\"+spec.group"));
        Group(obj, crd, errors);
        if (crd.Scope.Length == 0)
            errors.Add(Required("spec.scope"));
        else if (!Scopes.Contains(crd.Scope))
            errors.Add(NotSupported("spec.scope", crd.Scope, Scopes));
        Versions(spec, crd, errors);
        foreach (var (field, value) in new[] { ("plural", crd.Names.Plural), ("singular", crd.Names.Singular), ("kind", crd.Names.Kind),
            ("listKind", crd.Names.ListKind) })
            if (value.Length == 0)
                errors.Add(Required($"spec.names.{field}"));
        Names(crd.Names, "spec.names", errors);
        if (crd.AcceptedNames is { } accepted)
            Names(accepted, "status.acceptedNames", errors);
        if (spec["preserveUnknownFields"]?.GetValueKind() == JsonValueKind.True)
            errors.Add(Invalid("spec.preserveUnknownFields", true,
                "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"));
        if (crd.ConversionStrategy != "None")
            errors.Add(NotSupported("spec.conversion.strategy", crd.ConversionStrategy, ["None"]));
        if (old is not null)
            Update(crd, Crd.Read(old), obj, errors);
    }

    private static void Group(JsonObject obj, Crd crd, List<FieldCause> errors)
    {
        if (crd.Group.Length == 0)
        {
            errors.Add(Required("spec.group"));
            return;
        }
        var groupErrors = NameRules.IsDns1123Subdomain(crd.Group).ToList();
        if (groupErrors.Count > 0)
            errors.Add(Invalid("spec.group", crd.Group, string.Join(",", groupErrors)));
        else if (!crd.Group.Contains('.', StringComparison.Ordinal))
            errors.Add(Invalid("spec.group", crd.Group, "should be a domain with at least one dot"));
        var isProtected = crd.Group is "k8s.io" or "kubernetes.io" || crd.Group.EndsWith(".k8s.io", StringComparison.Ordinal)
            || crd.Group.EndsWith(".kubernetes.io", StringComparison.Ordinal);
        if (isProtected && Crd.Str(obj["metadata"]?["annotations"], ApprovalAnnotation) is null)
            errors.Add(Required($"metadata.annotations[{ApprovalAnnotation}]",
                $"protected groups must have approval annotation \"{ApprovalAnnotation}\", " +
                    "see https://github.com/kubernetes/enhancements/pull/1111"));
    }

    private static void Versions(JsonObject spec, Crd crd, List<FieldCause> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unique = true;
        for (var i = 0; i < crd.Versions.Count; i++)
        {
            var version = crd.Versions[i];
            var path = $"spec.versions[{i}]";
            if (!seen.Add(version.Name))
                unique = false;
            var nameErrors = NameRules.IsDns1035Label(version.Name).ToList();
            if (nameErrors.Count > 0)
                errors.Add(Invalid($"{path}.name", version.Name, string.Join(",", nameErrors)));
            if (version.Schema is null)
                errors.Add(Required($"{path}.schema.openAPIV3Schema", "schemas are required"));
            else
                StructuralValidation.Validate(version.Schema, $"{path}.schema.openAPIV3Schema", errors);
            Columns(version, path, errors);
            if (version.Scale is { } scale)
                Scale(scale, version, $"{path}.subresources.scale", errors);
        }
        var versions = new Raw(GoVersions(spec));
        if (!unique)
            errors.Add(Invalid("spec.versions", versions, "must contain unique version names"));
        if (crd.Versions.Count(v => v.Storage) != 1)
            errors.Add(Invalid("spec.versions", versions, "must have exactly one version marked as storage version"));
    }

    /// <summary>The versions as Go's %#v shows the slice in kube's message (the fields that identify them).</summary>
    private static string GoVersions(JsonObject spec)
    {
        var versions = (spec["versions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (versions.Count == 0)
            return "[]apiextensions.CustomResourceDefinitionVersion(nil)";
        return "[]apiextensions.CustomResourceDefinitionVersion{" + string.Join(", ", versions.Select(v =>
            $"apiextensions.CustomResourceDefinitionVersion{{Name:{Quote(JsonValues.String(v["name"]) ?? "")}, " +
            $"Served:{(v["served"]?.GetValueKind() == JsonValueKind.True ? "true" : "false")}, " +
            $"Storage:{(v["storage"]?.GetValueKind() == JsonValueKind.True ? "true" : "false")}}}")) + "}";
    }

    private static void Columns(CrdVersion version, string path, List<FieldCause> errors)
    {
        for (var i = 0; i < version.Columns.Count; i++)
        {
            var c = version.Columns[i];
            var at = $"{path}.additionalPrinterColumns[{i}]";
            if (c.Name.Length == 0)
                errors.Add(Required($"{at}.name"));
            if (c.Type.Length == 0)
                errors.Add(Required($"{at}.type"));
            else if (!ColumnTypes.Contains(c.Type))
                errors.Add(NotSupported($"{at}.type", c.Type, ColumnTypes));
            if (c.Format.Length > 0 && !ColumnFormats.Contains(c.Format))
                errors.Add(NotSupported($"{at}.format", c.Format, ColumnFormats));
            if (c.JsonPath.Length == 0)
                errors.Add(Required($"{at}.jsonPath"));
            else if (c.JsonPath[0] != '.')
                errors.Add(Invalid($"{at}.jsonPath", c.JsonPath, "must be a simple json path starting with ."));
            else if (JsonPath.TryParse(c.JsonPath, out var error) is null)
                errors.Add(Invalid($"{at}.jsonPath", c.JsonPath, $"invalid JSONPath: {error}"));
        }
    }

    private static void Scale(CrdScale scale, CrdVersion version, string path, List<FieldCause> errors)
    {
        var schema = version.Schema is { } raw ? SchemaNode.Parse(raw) : null;
        void Replicas(string field, string value, string under)
        {
            if (value.Length == 0)
                errors.Add(Required($"{path}.{field}"));
            else if (!value.StartsWith(under + ".", StringComparison.Ordinal) || ScaleValue.Segments(value) is null)
                errors.Add(Invalid($"{path}.{field}", value, $"should be a json path under {under}"));
            else if (schema is not null && ScaleValue.SchemaAt(schema, value) is { } node && node.Type != "integer")
                errors.Add(Invalid($"{path}.{field}", value, "should be a json path to an integer field"));
        }
        Replicas("specReplicasPath", scale.SpecReplicasPath, ".spec");
        Replicas("statusReplicasPath", scale.StatusReplicasPath, ".status");
        if (scale.LabelSelectorPath is { Length: > 0 } selector &&
            (!(selector.StartsWith(".spec.", StringComparison.Ordinal) || selector.StartsWith(".status.", StringComparison.Ordinal))
                || ScaleValue.Segments(selector) is null))
            errors.Add(Invalid($"{path}.labelSelectorPath", selector, "should be a json path under either .spec or .status"));
    }

    private static void Names(CrdNames names, string path, List<FieldCause> errors)
    {
        void Label(string field, string value, string prefix = "")
        {
            if (value.Length == 0)
                return;
            var found = NameRules.IsDns1035Label(prefix.Length > 0 ? value.ToLowerInvariant() : value).ToList();
            if (found.Count > 0)
                errors.Add(Invalid($"{path}.{field}", value, prefix + string.Join(",", found)));
        }
        Label("plural", names.Plural);
        Label("singular", names.Singular);
        Label("kind", names.Kind, "may have mixed case, but should otherwise match: ");
        Label("listKind", names.ListKind, "may have mixed case, but should otherwise match: ");
        for (var i = 0; i < names.ShortNames.Count; i++)
            Label($"shortNames[{i}]", names.ShortNames[i]);
        if (names.Kind.Length > 0 && names.Kind == names.ListKind)
            errors.Add(Invalid($"{path}.listKind", names.ListKind, "kind and listKind may not be the same"));
        for (var i = 0; i < names.Categories.Count; i++)
            Label($"categories[{i}]", names.Categories[i]);
    }

    private static void Update(Crd crd, Crd old, JsonObject obj, List<FieldCause> errors)
    {
        if (old.Established)
        {
            Immutable("spec.scope", crd.Scope, old.Scope, errors);
            Immutable("spec.names.kind", crd.Names.Kind, old.Names.Kind, errors);
        }
        Immutable("spec.group", crd.Group, old.Group, errors);
        Immutable("spec.names.plural", crd.Names.Plural, old.Names.Plural, errors);
        var stored = Crd.Strings(obj["status"], "storedVersions");
        for (var i = 0; i < stored.Count; i++)
            if (!crd.Versions.Any(v => v.Name == stored[i]))
                errors.Add(Invalid($"status.storedVersions[{i}]", stored[i], "must appear in spec.versions"));
    }

    private static void Immutable(string field, string value, string old, List<FieldCause> errors)
    {
        if (value != old)
            errors.Add(Invalid(field, value, "field is immutable"));
    }
}
