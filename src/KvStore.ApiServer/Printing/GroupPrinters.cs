using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>kube's printers for the apps, networking.k8s.io, autoscaling and coordination.k8s.io resources.</summary>
internal static class GroupPrinters
{
    private static string Name(JsonObject o) => Json.Str(o, "metadata", "name");

    private static string Age(JsonObject o, DateTimeOffset now) => Format.Since(Json.Time(o, "metadata", "creationTimestamp"), now);

    /// <summary>spec.replicas, defaulted to 1 on create as kube does when a writer left it out.</summary>
    private static long Replicas(JsonObject o) => Json.IntOrNull(o, "spec", "replicas") ?? 1;

    public static readonly Printer Deployment = new(
        [
            TableColumn.Name_(),
            new("Ready", "string", "Number of the pod with ready state"),
            new("Up-to-date", "string", Docs.UpdatedReplicas),
            new("Available", "string", Docs.AvailableReplicas),
            TableColumn.Age(),
            TableColumn.Containers(),
            TableColumn.Images(),
            new("Selector", "string", Docs.DeploymentSelector, 1),
        ],
        (d, now) =>
        {
            var (names, images) = Format.Containers(Json.At(d, "spec", "template", "spec"));
            return new PrintedRow(
            [
                Name(d),
                $"{Json.Int(d, "status", "readyReplicas")}/{Replicas(d)}",
                Json.Int(d, "status", "updatedReplicas"),
                Json.Int(d, "status", "availableReplicas"),
                Age(d, now),
                names,
                images,
                Format.Selector(Json.At(d, "spec", "selector")) ?? "<invalid>",
            ]);
        });

    public static readonly Printer ReplicaSet = new(
        [
            TableColumn.Name_(),
            new("Desired", "integer", Docs.ReplicasDesired),
            new("Current", "integer", Docs.ReplicaSetStatusReplicas),
            new("Ready", "integer", Docs.ReadyReplicas),
            TableColumn.Age(),
            TableColumn.Containers(),
            TableColumn.Images(),
            new("Selector", "string", Docs.ReplicaSetSelector, 1),
        ],
        (rs, now) =>
        {
            var (names, images) = Format.Containers(Json.At(rs, "spec", "template", "spec"));
            return new PrintedRow(
            [
                Name(rs),
                Replicas(rs),
                Json.Int(rs, "status", "replicas"),
                Json.Int(rs, "status", "readyReplicas"),
                Age(rs, now),
                names,
                images,
                Format.LabelSelector(Json.At(rs, "spec", "selector")),
            ]);
        });

    public static readonly Printer StatefulSet = new(
        [
            TableColumn.Name_(),
            new("Ready", "string", "Number of the pod with ready state"),
            TableColumn.Age(),
            TableColumn.Containers(),
            TableColumn.Images(),
        ],
        (sts, now) =>
        {
            var (names, images) = Format.Containers(Json.At(sts, "spec", "template", "spec"));
            return new PrintedRow([Name(sts), $"{Json.Int(sts, "status", "readyReplicas")}/{Replicas(sts)}", Age(sts, now), names, images]);
        });

    public static readonly Printer DaemonSet = new(
        [
            TableColumn.Name_(),
            new("Desired", "integer", Docs.DesiredNumberScheduled),
            new("Current", "integer", Docs.CurrentNumberScheduled),
            new("Ready", "integer", Docs.NumberReady),
            new("Up-to-date", "integer", Docs.UpdatedNumberScheduled),
            new("Available", "integer", Docs.NumberAvailable),
            new("Node Selector", "string", Docs.NodeSelector),
            TableColumn.Age(),
            TableColumn.Containers(),
            TableColumn.Images(),
            new("Selector", "string", Docs.DaemonSetSelector, 1),
        ],
        (ds, now) =>
        {
            var podSpec = Json.At(ds, "spec", "template", "spec");
            var (names, images) = Format.Containers(podSpec);
            var status = Json.At(ds, "status");
            return new PrintedRow(
            [
                Name(ds),
                Json.Int(status, "desiredNumberScheduled"),
                Json.Int(status, "currentNumberScheduled"),
                Json.Int(status, "numberReady"),
                Json.Int(status, "updatedNumberScheduled"),
                Json.Int(status, "numberAvailable"),
                Format.Labels(Json.StringMap(podSpec, "nodeSelector")),
                Age(ds, now),
                names,
                images,
                Format.LabelSelector(Json.At(ds, "spec", "selector")),
            ]);
        });

    public static readonly Printer Ingress = new(
        [
            TableColumn.Name_(),
            new("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
            new("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
            new("Address", "string", "Address is a list containing ingress points for the load-balancer"),
            new("Ports", "string", "Ports of TLS configurations that open"),
            TableColumn.Age(),
        ],
        (ing, now) =>
        {
            var className = Json.At(ing, "spec", "ingressClassName") is JsonValue ? Json.Str(ing, "spec", "ingressClassName") : "<none>";
            return new PrintedRow(
            [
                Name(ing),
                className,
                Hosts(Json.Objects(ing, "spec", "rules").ToList()),
                CorePrinters.LoadBalancerStatus(Json.At(ing, "status", "loadBalancer"), wide: true),
                Json.Count(ing, "spec", "tls") > 0 ? "80, 443" : "80",
                Age(ing, now),
            ]);
        });

    /// <summary>formatHosts: the first three non-empty hosts, "*" when none, then " + N more..." counting all rules.</summary>
    private static string Hosts(List<JsonObject> rules)
    {
        const int max = 3;
        var list = new List<string>();
        var more = false;
        foreach (var rule in rules)
        {
            if (list.Count == max)
                more = true;
            if (!more && Json.Str(rule, "host") is { Length: > 0 } host)
                list.Add(host);
        }
        if (list.Count == 0)
            return "*";
        var ret = string.Join(",", list);
        return more ? $"{ret} + {rules.Count - max} more..." : ret;
    }

    public static readonly Printer HorizontalPodAutoscaler = new(
        [
            TableColumn.Name_(),
            new("Reference", "string", Docs.HpaScaleTargetRef),
            new("Targets", "string", Docs.HpaMetrics),
            new("MinPods", "string", Docs.HpaMinReplicas),
            new("MaxPods", "string", Docs.HpaMaxReplicas),
            new("Replicas", "string", Docs.HpaCurrentReplicas),
            TableColumn.Age(),
        ],
        (hpa, now) =>
        {
            // kube prints every version from one internal form: v1 objects as their stored v2 form
            if (Json.Str(hpa, "apiVersion") == "autoscaling/v1") hpa = Resources.HpaV1.ToV2(hpa, null);
            var spec = Json.At(hpa, "spec");
            var minPods = Json.IntOrNull(spec, "minReplicas") is { } min ? Format.Int(min) : "<unset>";
            return new PrintedRow(
            [
                Name(hpa),
                $"{Json.Str(spec, "scaleTargetRef", "kind")}/{Json.Str(spec, "scaleTargetRef", "name")}",
                HpaMetrics.Format(Json.Objects(spec, "metrics").ToList(), Json.Objects(hpa, "status", "currentMetrics").ToList()),
                minPods,
                Json.Int(spec, "maxReplicas"),
                Json.Int(hpa, "status", "currentReplicas"),
                Age(hpa, now),
            ]);
        });

    public static readonly Printer Lease = new(
        [TableColumn.Name_(), new("Holder", "string", Docs.LeaseHolder), TableColumn.Age()],
        (lease, now) => new PrintedRow([Name(lease), Json.Str(lease, "spec", "holderIdentity"), Age(lease, now)]));
}
