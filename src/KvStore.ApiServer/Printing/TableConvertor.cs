using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Printing;

/// <summary>
/// Server-side printing: the meta.k8s.io/v1 Table kubectl asks for with
/// <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>, with kube-apiserver's columns for each resource.
/// </summary>
public static class TableConvertor
{
    private static readonly Dictionary<(string Group, string Resource), Printer> Printers = new()
    {
        [("", "pods")] = PodPrinter.Printer,
        [("", "services")] = CorePrinters.Service,
        [("", "endpoints")] = CorePrinters.Endpoints,
        [("", "configmaps")] = CorePrinters.ConfigMap,
        [("", "secrets")] = CorePrinters.Secret,
        [("", "serviceaccounts")] = CorePrinters.ServiceAccount,
        [("", "events")] = CorePrinters.Event,
        [("", "namespaces")] = CorePrinters.Namespace,
        [("", "nodes")] = CorePrinters.Node,
        [("apps", "deployments")] = GroupPrinters.Deployment,
        [("apps", "replicasets")] = GroupPrinters.ReplicaSet,
        [("apps", "statefulsets")] = GroupPrinters.StatefulSet,
        [("apps", "daemonsets")] = GroupPrinters.DaemonSet,
        [("networking.k8s.io", "ingresses")] = GroupPrinters.Ingress,
        [("autoscaling", "horizontalpodautoscalers")] = GroupPrinters.HorizontalPodAutoscaler,
        [("coordination.k8s.io", "leases")] = GroupPrinters.Lease,
        [("", "persistentvolumes")] = StoragePrinters.PersistentVolume,
        [("", "persistentvolumeclaims")] = StoragePrinters.PersistentVolumeClaim,
        [("", "resourcequotas")] = PolicyPrinters.ResourceQuota,
        [("batch", "jobs")] = BatchPrinters.Job,
        [("batch", "cronjobs")] = BatchPrinters.CronJob,
        [("networking.k8s.io", "ingressclasses")] = NetworkPrinters.IngressClass,
        [("networking.k8s.io", "networkpolicies")] = NetworkPrinters.NetworkPolicy,
        [("policy", "poddisruptionbudgets")] = PolicyPrinters.PodDisruptionBudget,
        [("rbac.authorization.k8s.io", "rolebindings")] = PolicyPrinters.RoleBinding,
        [("rbac.authorization.k8s.io", "clusterrolebindings")] = PolicyPrinters.ClusterRoleBinding,
        [("storage.k8s.io", "storageclasses")] = StoragePrinters.StorageClassPrinter,
        [("discovery.k8s.io", "endpointslices")] = NetworkPrinters.EndpointSlice,
    };

    /// <summary>
    /// kube's default table convertor for a resource without a printer: Name and "Created At" (the RFC 3339
    /// creation time, type date).
    /// </summary>
    private static readonly Printer Default = new(
        [TableColumn.Name_(), new("Created At", "date", Docs.CreationTimestamp)],
        (o, _) => new PrintedRow([Json.Str(o, "metadata", "name"), Json.Str(o, "metadata", "creationTimestamp")]));

    /// <summary>Whether <paramref name="resource"/> has kube's own printer here, or brings one as a kind registered at run
    /// time (else the Name / Created At default).</summary>
    public static bool HasPrinter(ResourceInfo resource) =>
        resource.Runtime?.Printer is not null || Printers.ContainsKey((resource.Group, resource.Resource));

    /// <summary>
    /// The Table for <paramref name="objects"/> (all of one resource). Every row has one cell per column and, when
    /// <paramref name="includeObject"/> is "Metadata" (the default kubectl asks for), <c>object</c> = a
    /// PartialObjectMetadata (apiVersion meta.k8s.io/v1, kind PartialObjectMetadata, the full metadata); "Object"
    /// puts the whole object, "None" nothing. The caller sets the Table's metadata (resourceVersion, continue).
    /// <paramref name="now"/> is the clock for Age columns.
    /// </summary>
    public static JsonObject ToTable(ResourceInfo resource, IReadOnlyList<JsonObject> objects, string includeObject, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(objects);
        var printer = resource.Runtime?.Printer ?? Printers.GetValueOrDefault((resource.Group, resource.Resource), Default);
        var columns = new JsonArray();
        foreach (var c in printer.Columns)
            columns.Add(c.ToJson());
        var rows = new JsonArray();
        foreach (var o in objects)
            rows.Add(Row(printer, o, includeObject, now));
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject(),
            ["columnDefinitions"] = columns,
            ["rows"] = rows,
        };
    }

    private static JsonObject Row(Printer printer, JsonObject o, string includeObject, DateTimeOffset now)
    {
        var printed = printer.Print(o, now);
        if (printed.Cells.Count != printer.Columns.Count)
            throw new InvalidOperationException($"printer gave {printed.Cells.Count} cells for {printer.Columns.Count} columns");
        var cells = new JsonArray();
        foreach (var cell in printed.Cells)
            cells.Add(cell);
        var row = new JsonObject { ["cells"] = cells };
        if (printed.Conditions is not null)
            row["conditions"] = printed.Conditions;
        row["object"] = includeObject switch
        {
            "None" => null,
            "Object" => o.DeepClone(),
            _ => PartialObjectMetadata(o),
        };
        return row;
    }

    /// <summary>The row object for includeObject=Metadata (kube's default): the object's metadata only.</summary>
    public static JsonObject PartialObjectMetadata(JsonObject o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new JsonObject
        {
            ["kind"] = "PartialObjectMetadata",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = o["metadata"]?.DeepClone() ?? new JsonObject(),
        };
    }
}
