using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>kube's printers for networking.k8s.io/v1 ingressclasses and networkpolicies and discovery.k8s.io/v1 endpointslices.</summary>
internal static class NetworkPrinters
{
    private static string Age(JsonObject o, DateTimeOffset now) => Format.Since(Json.Time(o, "metadata", "creationTimestamp"), now);

    public static readonly Printer IngressClass = new(
        [
            TableColumn.Name_(),
            new("Controller", "string", "Controller that is responsible for handling this class"),
            new("Parameters", "string", "A reference to a resource with additional parameters"),
            TableColumn.Age(),
        ],
        (ic, now) =>
        {
            var parameters = "<none>";
            if (Json.At(ic, "spec", "parameters") is JsonObject p)
            {
                parameters = Json.Str(p, "kind") + (Json.At(p, "apiGroup") is JsonValue g ? "." + (string?)g : "") + "/" + Json.Str(p, "name");
            }
            return new PrintedRow([Json.Str(ic, "metadata", "name"), Json.Str(ic, "spec", "controller"), parameters, Age(ic, now)]);
        });

    public static readonly Printer NetworkPolicy = new(
        [
            TableColumn.Name_(),
            new("Pod-Selector", "string",
                "Selects the pods to which this NetworkPolicy object applies.  The array of ingress rules is applied to any pods selected by this " +
                "field. Multiple network policies can select the same set of pods.  In this case, " +
                "the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. " +
                "An empty podSelector matches all pods in this namespace."),
            TableColumn.Age(),
        ],
        (np, now) => new PrintedRow([Json.Str(np, "metadata", "name"), Format.LabelSelector(Json.At(np, "spec", "podSelector") ?? new JsonObject()),
            Age(np, now)]));

    public static readonly Printer EndpointSlice = new(
        [
            TableColumn.Name_(),
            new("AddressType", "string",
                "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. " +
                "This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. " +
                "* IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name."),
            new("Ports", "string",
                "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. " +
                "When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, " +
                "it indicates \"all ports\". Each slice may include a maximum of 100 ports."),
            new("Endpoints", "string", "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints."),
            TableColumn.Age(),
        ],
        (slice, now) => new PrintedRow(
        [
            Json.Str(slice, "metadata", "name"),
            Json.Str(slice, "addressType"),
            FirstThree(Json.Objects(slice, "ports").Select(p => Json.IntOrNull(p, "port") is { } n ? Format.Int(n)
                : Json.At(p, "name") is JsonValue name ? (string?)name ?? "*" : "*")),
            FirstThree(Json.Objects(slice, "endpoints").SelectMany(e => Json.Strings(e, "addresses"))),
            Age(slice, now),
        ]));

    /// <summary>listWithMoreString: up to three items comma-joined, "+ N more..." past them, "&lt;unset&gt;" when none.</summary>
    private static string FirstThree(IEnumerable<string> items)
    {
        var all = items.ToList();
        var shown = string.Join(",", all.Take(3));
        if (all.Count > 3) return $"{shown} + {all.Count - 3} more...";
        return shown.Length == 0 ? "<unset>" : shown;
    }
}
