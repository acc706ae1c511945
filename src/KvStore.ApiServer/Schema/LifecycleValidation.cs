using System.Text.Json.Nodes;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.Schema;

/// <summary>The ObjectMeta rules of finalizers and owner references (apimachinery's ValidateFinalizers,
/// ValidateOwnerReferences and, on update, ValidateNoNewFinalizers for an object being deleted).</summary>
internal static class LifecycleValidation
{
    private const string Orphan = "orphan";
    private const string Foreground = "foregroundDeletion";

    public static void Meta(JsonObject? meta, JsonObject? oldMeta, List<FieldCause> errors)
    {
        var finalizers = Strings(meta?["finalizers"]);
        foreach (var finalizer in finalizers)
        {
            foreach (var msg in NameRules.IsQualifiedName(finalizer))
                errors.Add(Invalid("metadata.finalizers", finalizer, msg));
        }
        if (finalizers.Contains(Orphan) && finalizers.Contains(Foreground))
        {
            errors.Add(Invalid("metadata.finalizers", new Raw(GoStrings(finalizers)), $"finalizer {Orphan} and {Foreground} cannot be both set"));
        }
        OwnerReferences(meta?["ownerReferences"] as JsonArray, errors);
        if (oldMeta?["deletionTimestamp"] is not null)
        {
            var added = finalizers.Except(Strings(oldMeta["finalizers"]), StringComparer.Ordinal).Distinct().Order(StringComparer.Ordinal).ToList();
            if (added.Count > 0)
            {
                errors.Add(Forbidden("metadata.finalizers",
                    $"no new finalizers can be added if the object is being deleted, found new finalizers {GoStrings(added)}"));
            }
        }
    }

    private static void OwnerReferences(JsonArray? references, List<FieldCause> errors)
    {
        string? controller = null;
        foreach (var reference in (references ?? []).OfType<JsonObject>())
        {
            var apiVersion = reference.Str("apiVersion") ?? "";
            var version = apiVersion.Contains('/') ? apiVersion[(apiVersion.IndexOf('/') + 1)..] : apiVersion;
            if (version.Length == 0) errors.Add(Invalid("metadata.ownerReferences.apiVersion", apiVersion, "version must not be empty"));
            var kind = reference.Str("kind") ?? "";
            if (kind.Length == 0) errors.Add(Invalid("metadata.ownerReferences.kind", kind, "kind must not be empty"));
            var name = reference.Str("name") ?? "";
            if (name.Length == 0) errors.Add(Invalid("metadata.ownerReferences.name", name, "name must not be empty"));
            var uid = reference.Str("uid") ?? "";
            if (uid.Length == 0) errors.Add(Invalid("metadata.ownerReferences.uid", uid, "uid must not be empty"));
            if (reference["controller"]?.GetValueKind() != System.Text.Json.JsonValueKind.True) continue;
            var current = kind + "/" + name;
            if (controller is null) controller = current;
            else errors.Add(Invalid("metadata.ownerReferences", new Raw("[]v1.OwnerReference{...}"),
                $"Only one reference can have Controller set to true. Found \"true\" in references for {controller} and {current}"));
        }
    }

    private static List<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList();

    /// <summary>Go's %#v of a []string: []string{"a", "b"}.</summary>
    private static string GoStrings(IEnumerable<string> values) => "[]string{" + string.Join(", ", values.Select(v => Quote(v))) + "}";
}
