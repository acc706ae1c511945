using System.Text;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>kube's printers for poddisruptionbudgets, resourcequotas, rolebindings and clusterrolebindings (roles,
/// clusterroles and limitranges have none: kube's default Name / Created At).</summary>
internal static class PolicyPrinters
{
    private static string Age(JsonObject o, DateTimeOffset now) => Format.Since(Json.Time(o, "metadata", "creationTimestamp"), now);

    /// <summary>intstr's String(): the number or the text.</summary>
    private static string IntOrString(JsonNode? value) => value switch
    {
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => "N/A",
    };

    public static readonly Printer PodDisruptionBudget = new(
        [
            TableColumn.Name_(),
            new("Min Available", "string", "The minimum number of pods that must be available."),
            new("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
            new("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
            TableColumn.Age(),
        ],
        (pdb, now) => new PrintedRow(
        [
            Json.Str(pdb, "metadata", "name"), IntOrString(Json.At(pdb, "spec", "minAvailable")),
            IntOrString(Json.At(pdb, "spec", "maxUnavailable")), Json.Int(pdb, "status", "disruptionsAllowed"), Age(pdb, now),
        ]));

    /// <summary>"resource: used/hard, ..." from status.hard (sorted), limits.* in the Limit column, the rest in Request.</summary>
    public static readonly Printer ResourceQuota = new(
        [
            TableColumn.Name_(),
            new("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
            new("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
            TableColumn.Age(),
        ],
        (quota, now) =>
        {
            var request = new StringBuilder();
            var limit = new StringBuilder();
            foreach (var (resource, hard) in (Json.At(quota, "status", "hard") as JsonObject ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var pieces = resource.Split('.');
                var column = pieces.Length > 1 && pieces[0] == "limits" ? limit : request;
                column.Append($"{resource}: {Quantity.Canonical(Json.At(quota, "status", "used", resource))}/{Quantity.Canonical(hard)}, ");
            }
            return new PrintedRow([Json.Str(quota, "metadata", "name"), request.ToString().TrimEnd(',', ' '), limit.ToString().TrimEnd(',', ' '),
                Age(quota, now)]);
        });

    private static Printer Binding(string owner) => new(
        [
            TableColumn.Name_(),
            new("Role", "string", owner == "roleBinding"
                ? "roleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. " +
                    "If the RoleRef cannot be resolved, the Authorizer must return an error."
                : "roleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, " +
                    "the Authorizer must return an error."),
            TableColumn.Age(),
            new("Users", "string", $"Users in the {owner}", 1),
            new("Groups", "string", $"Groups in the {owner}", 1),
            new("ServiceAccounts", "string", $"ServiceAccounts in the {owner}", 1),
        ],
        (binding, now) =>
        {
            var subjects = Json.Objects(binding, "subjects").ToList();
            string Of(string kind) => string.Join(", ", subjects.Where(s => Json.Str(s, "kind") == kind)
                .Select(s => kind == "ServiceAccount" ? $"{Json.Str(s, "namespace")}/{Json.Str(s, "name")}" : Json.Str(s, "name")));
            return new PrintedRow(
            [
                Json.Str(binding, "metadata", "name"), $"{Json.Str(binding, "roleRef", "kind")}/{Json.Str(binding, "roleRef", "name")}",
                Age(binding, now), Of("User"), Of("Group"), Of("ServiceAccount"),
            ]);
        });

    public static readonly Printer RoleBinding = Binding("roleBinding");

    public static readonly Printer ClusterRoleBinding = Binding("clusterRoleBinding");
}
