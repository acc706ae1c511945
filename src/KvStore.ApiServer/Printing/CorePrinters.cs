using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>kube's printers for the core/v1 resources other than pods (printService, printEndpoints, printNode...).</summary>
internal static class CorePrinters
{
    private const int LoadBalancerWidth = 16;

    private static string Name(JsonObject o) => Json.Str(o, "metadata", "name");

    private static string Age(JsonObject o, DateTimeOffset now) => Format.Since(Json.Time(o, "metadata", "creationTimestamp"), now);

    public static readonly Printer Service = new(
        [
            TableColumn.Name_(),
            new("Type", "string", Docs.ServiceType),
            new("Cluster-IP", "string", Docs.ClusterIP),
            new("External-IP", "string", Docs.ExternalIPs),
            new("Port(s)", "string", Docs.ServicePorts),
            TableColumn.Age(),
            new("Selector", "string", Docs.ServiceSelector, 1),
        ],
        (svc, now) =>
        {
            var spec = Json.At(svc, "spec");
            // type and protocol are defaulted on create (ClusterIP, TCP); a stored object without them reads as kube's would.
            var type = Json.Str(spec, "type") is { Length: > 0 } t ? t : "ClusterIP";
            var clusterIP = Json.Strings(spec, "clusterIPs").FirstOrDefault() ?? Json.Str(spec, "clusterIP");
            var ports = string.Join(",", Json.Objects(spec, "ports").Select(p =>
            {
                var protocol = Json.Str(p, "protocol") is { Length: > 0 } pr ? pr : "TCP";
                var nodePort = Json.Int(p, "nodePort");
                return nodePort > 0 ? $"{Json.Int(p, "port")}:{nodePort}/{protocol}" : $"{Json.Int(p, "port")}/{protocol}";
            }));
            return new PrintedRow(
            [
                Name(svc),
                type,
                clusterIP.Length == 0 ? "<none>" : clusterIP,
                ExternalIP(svc, type, wide: true),
                ports.Length == 0 ? "<none>" : ports,
                Age(svc, now),
                Format.Labels(Json.StringMap(spec, "selector")),
            ]);
        });

    /// <summary>getServiceExternalIP.</summary>
    private static string ExternalIP(JsonObject svc, string type, bool wide)
    {
        var externalIPs = Json.Strings(svc, "spec", "externalIPs").ToList();
        switch (type)
        {
            case "ClusterIP":
            case "NodePort":
                return externalIPs.Count > 0 ? string.Join(",", externalIPs) : "<none>";
            case "LoadBalancer":
                var lb = LoadBalancerStatus(Json.At(svc, "status", "loadBalancer"), wide);
                if (externalIPs.Count > 0)
                {
                    var results = new List<string>();
                    if (lb.Length > 0)
                        results.AddRange(lb.Split(','));
                    results.AddRange(externalIPs);
                    return string.Join(",", results);
                }
                return lb.Length > 0 ? lb : "<pending>";
            case "ExternalName":
                return Json.Str(svc, "spec", "externalName");
            default:
                return "<unknown>";
        }
    }

    /// <summary>loadBalancerStatusStringer: the ingress IPs (else hostnames), sorted and de-duplicated, clipped to 16 unless wide.</summary>
    internal static string LoadBalancerStatus(JsonNode? status, bool wide)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var ing in Json.Objects(status, "ingress"))
        {
            if (Json.Str(ing, "ip") is { Length: > 0 } ip)
                set.Add(ip);
            else if (Json.Str(ing, "hostname") is { Length: > 0 } host)
                set.Add(host);
        }
        var r = string.Join(",", set);
        if (!wide && r.Length > LoadBalancerWidth)
            r = r[..(LoadBalancerWidth - 3)] + "...";
        return r;
    }

    public static readonly Printer Endpoints = new(
        [TableColumn.Name_(), new("Endpoints", "string", Docs.EndpointsSubsets), TableColumn.Age()],
        (ep, now) => new PrintedRow([Name(ep), FormatEndpoints(ep), Age(ep, now)]));

    /// <summary>formatEndpoints: up to three "ip:port" (or bare ip for a subset without ports), then " + N more...".</summary>
    private static string FormatEndpoints(JsonObject ep)
    {
        var subsets = Json.Objects(ep, "subsets").ToList();
        if (subsets.Count == 0)
            return "<none>";
        const int max = 3;
        var list = new List<string>();
        var more = false;
        var count = 0;
        foreach (var ss in subsets)
        {
            var addresses = Json.Objects(ss, "addresses").Select(a => Json.Str(a, "ip")).ToList();
            var ports = Json.Objects(ss, "ports").ToList();
            if (ports.Count == 0)
            {
                count += addresses.Count;
                foreach (var ip in addresses)
                {
                    if (list.Count == max)
                    {
                        more = true;
                        break;
                    }
                    list.Add(ip);
                }
                continue;
            }
            foreach (var port in ports)
            {
                count += addresses.Count;
                foreach (var ip in addresses)
                {
                    if (list.Count == max)
                    {
                        more = true;
                        break;
                    }
                    // net.JoinHostPort brackets IPv6 addresses.
                    var host = ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]" : ip;
                    list.Add($"{host}:{Json.Int(port, "port")}");
                }
            }
        }
        var ret = string.Join(",", list);
        return more ? $"{ret} + {count - max} more..." : ret;
    }

    public static readonly Printer ConfigMap = new(
        [TableColumn.Name_(), new("Data", "string", Docs.ConfigMapData), TableColumn.Age()],
        (cm, now) => new PrintedRow([Name(cm), (long)(Json.Count(cm, "data") + Json.Count(cm, "binaryData")), Age(cm, now)]));

    public static readonly Printer Secret = new(
        [TableColumn.Name_(), new("Type", "string", Docs.SecretType), new("Data", "string", Docs.SecretData), TableColumn.Age()],
        (s, now) =>
        {
            // stringData is write-only: kube merges it into data on write; count the union if a writer left both.
            var keys = new HashSet<string>(StringComparer.Ordinal);
            if (Json.At(s, "data") is JsonObject data)
                keys.UnionWith(data.Select(p => p.Key));
            if (Json.At(s, "stringData") is JsonObject stringData)
                keys.UnionWith(stringData.Select(p => p.Key));
            var type = Json.Str(s, "type") is { Length: > 0 } t ? t : "Opaque";
            return new PrintedRow([Name(s), type, (long)keys.Count, Age(s, now)]);
        });

    public static readonly Printer ServiceAccount = new(
        [TableColumn.Name_(), new("Secrets", "string", Docs.ServiceAccountSecrets), TableColumn.Age()],
        (sa, now) => new PrintedRow([Name(sa), (long)Json.Count(sa, "secrets"), Age(sa, now)]));

    public static readonly Printer Namespace = new(
        [TableColumn.Name_(), new("Status", "string", "The status of the namespace"), TableColumn.Age()],
        (ns, now) =>
        {
            // phase is set to Active on create; a stored namespace without it reads as kube's would.
            var phase = Json.Str(ns, "status", "phase") is { Length: > 0 } p ? p : "Active";
            return new PrintedRow([Name(ns), phase, Age(ns, now)]);
        });

    public static readonly Printer Event = new(
        [
            new("Last Seen", "string", Docs.EventLastTimestamp),
            new("Type", "string", Docs.EventType),
            new("Reason", "string", Docs.EventReason),
            new("Object", "string", Docs.EventInvolvedObject),
            new("Subobject", "string", Docs.EventFieldPath, 1),
            new("Source", "string", Docs.EventSource, 1),
            new("Message", "string", Docs.EventMessage),
            new("First Seen", "string", Docs.EventFirstTimestamp, 1),
            new("Count", "string", Docs.EventCount, 1),
            new("Name", "string", Docs.Name, 1, "name"),
        ],
        (ev, now) =>
        {
            var firstTimestamp = Json.Time(ev, "firstTimestamp") is { } first
                ? Format.Since(first, now)
                : Format.Since(Json.Time(ev, "eventTime"), now);
            var lastTimestamp = Json.Time(ev, "lastTimestamp") is { } last ? Format.Since(last, now) : firstTimestamp;
            var count = Json.Int(ev, "count");
            if (Json.At(ev, "series") is JsonObject series)
            {
                lastTimestamp = Format.Since(Json.Time(series, "lastObservedTime"), now);
                count = Json.Int(series, "count");
            }
            else if (count == 0)
                count = 1; // singleton events of the events.k8s.io API have no count
            var kind = Json.Str(ev, "involvedObject", "kind").ToLowerInvariant();
            var involvedName = Json.Str(ev, "involvedObject", "name");
            var target = involvedName.Length > 0 ? $"{kind}/{involvedName}" : kind;
            var component = FirstNonEmpty(Json.Str(ev, "source", "component"), Json.Str(ev, "reportingComponent"));
            var instance = FirstNonEmpty(Json.Str(ev, "source", "host"), Json.Str(ev, "reportingInstance"));
            var source = instance.Length == 0 ? component : $"{component}, {instance}";
            return new PrintedRow(
            [
                lastTimestamp,
                Json.Str(ev, "type"),
                Json.Str(ev, "reason"),
                target,
                Json.Str(ev, "involvedObject", "fieldPath"),
                source,
                Json.Str(ev, "message").Trim(),
                firstTimestamp,
                count,
                Name(ev),
            ]);
        });

    private static string FirstNonEmpty(string a, string b) => a.Length > 0 ? a : b;

    public static readonly Printer Node = new(
        [
            TableColumn.Name_(),
            new("Status", "string", "The status of the node"),
            new("Roles", "string", "The roles of the node"),
            TableColumn.Age(),
            new("Version", "string", Docs.KubeletVersion),
            new("Internal-IP", "string", Docs.NodeAddresses, 1),
            new("External-IP", "string", Docs.NodeAddresses, 1),
            new("OS-Image", "string", Docs.OSImage, 1),
            new("Kernel-Version", "string", Docs.KernelVersion, 1),
            new("Container-Runtime", "string", Docs.ContainerRuntimeVersion, 1),
        ],
        (node, now) =>
        {
            var status = new List<string>();
            // NodeAllConditions is just Ready; the last Ready condition wins as in kube's map.
            if (Json.Objects(node, "status", "conditions").LastOrDefault(c => Json.Str(c, "type") == "Ready") is { } ready)
                status.Add(Json.Str(ready, "status") == "True" ? "Ready" : "NotReady");
            if (status.Count == 0)
                status.Add("Unknown");
            if (Json.Bool(node, "spec", "unschedulable"))
                status.Add("SchedulingDisabled");

            var roles = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (k, v) in Json.StringMap(node, "metadata", "labels"))
            {
                if (k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal))
                {
                    if (k["node-role.kubernetes.io/".Length..] is { Length: > 0 } role)
                        roles.Add(role);
                }
                else if (k == "kubernetes.io/role" && v.Length > 0)
                    roles.Add(v);
            }
            var info = Json.At(node, "status", "nodeInfo");
            return new PrintedRow(
            [
                Name(node),
                string.Join(",", status),
                roles.Count == 0 ? "<none>" : string.Join(",", roles),
                Age(node, now),
                Json.Str(info, "kubeletVersion"),
                NodeAddress(node, "InternalIP"),
                NodeAddress(node, "ExternalIP"),
                Unknown(Json.Str(info, "osImage")),
                Unknown(Json.Str(info, "kernelVersion")),
                Unknown(Json.Str(info, "containerRuntimeVersion")),
            ]);
        });

    private static string NodeAddress(JsonObject node, string type) =>
        Json.Objects(node, "status", "addresses").FirstOrDefault(a => Json.Str(a, "type") == type) is { } a
            ? Json.Str(a, "address")
            : "<none>";

    private static string Unknown(string s) => s.Length == 0 ? "<unknown>" : s;
}
