using System.Text.Json.Nodes;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// kube's naming and establishing controllers, as one computation: a CRD's requested names are accepted unless another
/// CRD of its group already accepted one of them (`"crontabs" is already in use`, reason PluralConflict,
/// SingularConflict, ShortNamesConflict, KindConflict or ListKindConflict); once its names are accepted it is Established
/// and stays so. Conditions keep their lastTransitionTime while their status does not change. Held by
/// SchemaRulesTests.NamesAreAcceptedUnlessAnotherCrdOfTheGroupHoldsThem.
/// </summary>
internal static class CrdNaming
{
    public sealed record Outcome(CrdNames Accepted, JsonObject NamesAccepted, JsonObject Established);

    public static Outcome Decide(Crd crd, IEnumerable<Crd> others, JsonObject? status, DateTimeOffset now)
    {
        var resources = new HashSet<string>(StringComparer.Ordinal);
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in others.Where(o => o.Name != crd.Name && o.Group == crd.Group && o.AcceptedNames is not null))
        {
            var names = other.AcceptedNames!;
            resources.UnionWith([names.Plural, names.Singular, .. names.ShortNames]);
            kinds.UnionWith([names.Kind, names.ListKind]);
        }
        var requested = crd.Names;
        var accepted = crd.AcceptedNames ?? new CrdNames("", "", "", "", [], []);
        string? reason = null, message = null;
        void Conflict(string why, string name)
        {
            reason ??= why;
            message ??= $"\"{name}\" is already in use";
        }
        string Take(string wanted, string had, HashSet<string> used, string why)
        {
            if (wanted == had || !used.Contains(wanted))
                return wanted;
            Conflict(why, wanted);
            return had;
        }
        var plural = Take(requested.Plural, accepted.Plural, resources, "PluralConflict");
        var singular = Take(requested.Singular, accepted.Singular, resources, "SingularConflict");
        var shortNames = accepted.ShortNames;
        if (!requested.ShortNames.SequenceEqual(accepted.ShortNames))
        {
            var taken = requested.ShortNames.Where(s => !accepted.ShortNames.Contains(s) && resources.Contains(s)).ToList();
            if (taken.Count > 0)
            {
                reason ??= "ShortNamesConflict";
                message ??= taken.Count == 1 ? $"\"{taken[0]}\" is already in use" : "[" + string.Join(", ",
                    taken.Select(t => $"\"{t}\" is already in use")) + "]";
            }
            else
            {
                shortNames = requested.ShortNames;
            }
        }
        var kind = Take(requested.Kind, accepted.Kind, kinds, "KindConflict");
        var listKind = Take(requested.ListKind, accepted.ListKind, kinds, "ListKindConflict");
        var newNames = new CrdNames(plural, singular, kind, listKind, shortNames, requested.Categories);

        var namesAccepted = reason is null
            ? Condition(status, "NamesAccepted", "True", "NoConflicts", "no conflicts found", now)
            : Condition(status, "NamesAccepted", "False", reason, message!, now);
        var established = crd.Established
            ? Existing(status, "Established")!
            : reason is null
                ? Condition(status, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted", now)
                : Condition(status, "Established", "False", "NotAccepted", "not all names are accepted", now);
        return new Outcome(newNames, namesAccepted, established);
    }

    private static JsonObject? Existing(JsonObject? status, string type) =>
        (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => Crd.Str(c, "type") == type) is { } found
            ? (JsonObject)found.DeepClone()
            : null;

    private static JsonObject Condition(JsonObject? status, string type, string value, string reason, string message, DateTimeOffset now)
    {
        var existing = Existing(status, type);
        var since = existing is not null && Crd.Str(existing, "status") == value && Crd.Str(existing, "lastTransitionTime") is { } kept
            ? kept
            : Http.ObjectDefaults.Now(now);
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = value,
            ["lastTransitionTime"] = since,
            ["reason"] = reason,
            ["message"] = message,
        };
    }
}
