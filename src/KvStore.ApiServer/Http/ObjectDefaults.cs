using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Http;

/// <summary>
/// What kube-apiserver fills in on create (rest.BeforeCreate and the types' defaulting funcs, the fields a
/// kubectl user sees) and keeps on update (rest.BeforeUpdate: uid, creationTimestamp; generation bumped when the
/// spec changes; the main resource does not change status, the status subresource changes only status).
/// </summary>
internal static partial class ObjectDefaults
{
    private const string NameSuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789"; // apimachinery's utilrand alphabet

    /// <summary>Resources whose strategy keeps metadata.generation (apps, ingress, hpa, custom resources... not pods or services).</summary>
    public static bool HasGeneration(ResourceInfo resource) =>
        resource.Runtime is not null || resource.Group is "apps" or "networking.k8s.io" or "autoscaling";

    public static string Now(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta) return meta;
        meta = new JsonObject();
        obj["metadata"] = meta;
        return meta;
    }

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The object as parsed JSON: values set from C# (int, string) become JsonElement-backed like the request's,
    /// so every reader's TryGetValue&lt;long&gt;/&lt;string&gt; sees them alike.</summary>
    public static JsonObject Normalized(JsonObject obj) => JsonNode.Parse(obj.ToJsonString())!.AsObject();

    /// <summary>Create: name from generateName, uid, creationTimestamp, generation, and the type's defaults.</summary>
    public static void ForCreate(ResourceInfo resource, JsonObject obj, DateTimeOffset now)
    {
        obj["apiVersion"] = StorageVersions.StoredApiVersion(resource);
        obj["kind"] = resource.Kind;
        var meta = Metadata(obj);
        if (string.IsNullOrEmpty(Str(meta["name"])) && Str(meta["generateName"]) is { Length: > 0 } prefix)
        {
            meta["name"] = prefix + string.Concat(Enumerable.Range(0, 5).Select(_ =>
                NameSuffixAlphabet[RandomNumberGenerator.GetInt32(NameSuffixAlphabet.Length)]));
        }
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Now(now);
        if (HasGeneration(resource)) meta["generation"] = 1;
        else meta.Remove("generation");
        if (resource.Namespaced is false) meta.Remove("namespace");

        if (resource.Runtime is { } runtime)
        {
            runtime.Prepare(obj, null);
            return;
        }
        switch (resource.Resource)
        {
            case "namespaces": Namespace(obj); break;
            case "pods": Pod(obj); break;
            case "services": Service(obj); break;
            case "deployments": Deployment(obj); break;
            case "secrets": Secret(obj); break;
            default: MoreKinds(resource, obj, create: true); break;
        }
        DropEmptyMetadataCollections(meta);
    }

    /// <summary>Secrets: stringData is write-only, merged into data base64-encoded (kube's conversion); type Opaque by default.</summary>
    private static void Secret(JsonObject secret)
    {
        Default(secret, "type", "Opaque");
        if (secret["stringData"] is not JsonObject plain) return;
        var data = Child(secret, "data");
        foreach (var (key, value) in plain)
        {
            data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Str(value) ?? ""));
        }
        secret.Remove("stringData");
    }

    /// <summary>Update (PUT or patch result) of the main resource or a subresource over <paramref name="old"/>.</summary>
    public static JsonObject ForUpdate(ResourceInfo resource, JsonObject old, JsonObject updated, string? subresource)
    {
        JsonObject result;
        if (subresource == "status")
        {
            result = (JsonObject)old.DeepClone();
            if (updated["status"] is { } status) result["status"] = status.DeepClone();
            else result.Remove("status");
        }
        else
        {
            result = updated;
            if (resource.Subresources.Contains("status"))
            {
                if (old["status"] is { } oldStatus) result["status"] = oldStatus.DeepClone();
                else result.Remove("status");
            }
        }
        result["apiVersion"] = StorageVersions.StoredApiVersion(resource);
        result["kind"] = resource.Kind;
        var oldMeta = Metadata(old);
        var meta = Metadata(result);
        foreach (var kept in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
            "generateName" })
        {
            if (oldMeta[kept] is { } value) meta[kept] = value.DeepClone();
            else meta.Remove(kept);
        }
        meta.Remove("resourceVersion");
        resource.Runtime?.Prepare(result, old);
        if (HasGeneration(resource))
        {
            var generation = oldMeta["generation"] is JsonValue g && g.TryGetValue<long>(out var n) ? n : 1;
            meta["generation"] = SpecChanged(resource, old, result, subresource) ? generation + 1 : generation;
        }
        if (resource.Runtime is not null)
        {
            return result;
        }
        if (resource.Resource == "services" && subresource is null) KeepServiceAllocation(old, result);
        if (resource.Resource == "namespaces") NamespaceUpdate(old, result, subresource);
        if (resource.Resource == "services") Service(result);
        if (resource.Resource == "pods") Pod(result);
        if (resource.Resource == "secrets") Secret(result);
        if (resource.Resource == "deployments") Deployment(result);
        MoreKinds(resource, result, create: false);
        DropEmptyMetadataCollections(meta);
        return result;
    }

    /// <summary>What bumps metadata.generation: a change of spec; for kinds registered at run time (kube's custom resource
    /// and CRD strategies) a change of anything but metadata through the main resource (status is the old one there
    /// when the status subresource is served).</summary>
    private static bool SpecChanged(ResourceInfo resource, JsonObject old, JsonObject updated, string? subresource)
    {
        if (resource.Runtime is null)
            return !JsonNode.DeepEquals(old["spec"], updated["spec"]);
        if (subresource is not null)
            return false;
        static IEnumerable<KeyValuePair<string, JsonNode?>> Content(JsonObject o) => o.Where(p => p.Key != "metadata")
            .OrderBy(p => p.Key, StringComparer.Ordinal);
        var (a, b) = (Content(old).ToList(), Content(updated).ToList());
        return a.Count != b.Count || a.Zip(b).Any(p => p.First.Key != p.Second.Key || !JsonNode.DeepEquals(p.First.Value, p.Second.Value));
    }

    private static JsonObject Child(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject child) return child;
        child = new JsonObject();
        parent[name] = child;
        return child;
    }

    private static void Default(JsonObject obj, string name, JsonNode value)
    {
        if (obj[name] is null) obj[name] = value;
    }

    private static void Namespace(JsonObject ns)
    {
        var meta = Metadata(ns);
        var labels = Child(meta, "labels");
        labels["kubernetes.io/metadata.name"] = Str(meta["name"]);
        // kube's namespace PrepareForCreate: the namespace controller's "kubernetes" finalizer is always there
        var spec = Child(ns, "spec");
        if (spec["finalizers"] is not JsonArray finalizers) spec["finalizers"] = finalizers = [];
        if (!finalizers.Any(f => Str(f) == "kubernetes")) finalizers.Add("kubernetes");
        Default(Child(ns, "status"), "phase", "Active");
    }

    /// <summary>kube's namespace strategies: spec.finalizers changes only through /finalize, status only through /status.</summary>
    private static void NamespaceUpdate(JsonObject old, JsonObject updated, string? subresource)
    {
        var labels = Child(Metadata(updated), "labels");
        labels["kubernetes.io/metadata.name"] = Str(Metadata(updated)["name"]);
        var spec = Child(updated, "spec");
        if (subresource == "finalize") Default(spec, "finalizers", new JsonArray());
        else if (old["spec"]?["finalizers"] is { } finalizers) spec["finalizers"] = finalizers.DeepClone();
        else spec.Remove("finalizers");
        Default(Child(updated, "status"), "phase", "Active");
    }

    private static void Pod(JsonObject pod)
    {
        PodSpec(Child(pod, "spec"));
        var status = Child(pod, "status");
        Default(status, "phase", "Pending");
    }

    /// <summary>SetDefaults_PodSpec and its containers' defaults (also applied to the templates of workloads).</summary>
    private static void PodSpec(JsonObject spec)
    {
        Default(spec, "restartPolicy", "Always");
        Default(spec, "terminationGracePeriodSeconds", 30);
        Default(spec, "dnsPolicy", "ClusterFirst");
        Default(spec, "securityContext", new JsonObject());
        Default(spec, "schedulerName", "default-scheduler");
        Default(spec, "enableServiceLinks", true);
        Default(spec, "preemptionPolicy", "PreemptLowerPriority");
        Default(spec, "priority", 0);
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec[list] is not JsonArray containers) continue;
            foreach (var container in containers.OfType<JsonObject>())
            {
                Default(container, "terminationMessagePath", "/dev/termination-log");
                Default(container, "terminationMessagePolicy", "File");
                var image = Str(container["image"]) ?? "";
                var lastSegment = image[(image.LastIndexOf('/') + 1)..];
                Default(container, "imagePullPolicy", image.Contains('@') || (lastSegment.Contains(':')
                    && !lastSegment.EndsWith(":latest", StringComparison.Ordinal)) ? "IfNotPresent" : "Always");
                Default(container, "resources", new JsonObject());
                if (container["ports"] is JsonArray ports)
                {
                    foreach (var port in ports.OfType<JsonObject>()) Default(port, "protocol", "TCP");
                }
            }
        }
    }

    private static void Service(JsonObject service)
    {
        var spec = Child(service, "spec");
        Default(spec, "type", "ClusterIP");
        var type = Str(spec["type"]);
        Default(spec, "sessionAffinity", "None");
        if (type != "ExternalName")
        {
            Default(spec, "ipFamilyPolicy", "SingleStack");
            Default(spec, "ipFamilies", new JsonArray("IPv4"));
            Default(spec, "internalTrafficPolicy", "Cluster");
        }
        if (type is "NodePort" or "LoadBalancer") Default(spec, "externalTrafficPolicy", "Cluster");
        if (type == "LoadBalancer") Default(spec, "allocateLoadBalancerNodePorts", true);
        if (spec["ports"] is JsonArray ports)
        {
            foreach (var port in ports.OfType<JsonObject>())
            {
                Default(port, "protocol", "TCP");
                if (port["targetPort"] is null && port["port"] is { } number) port["targetPort"] = number.DeepClone();
            }
        }
        Default(Child(service, "status"), "loadBalancer", new JsonObject());
    }

    private static void KeepServiceAllocation(JsonObject old, JsonObject updated)
    {
        if (old["spec"] is not JsonObject oldSpec || updated["spec"] is not JsonObject spec) return;
        if (Str(spec["clusterIP"]) is null or "" && oldSpec["clusterIP"] is { } ip && Str(spec["type"]) != "ExternalName")
        {
            spec["clusterIP"] = ip.DeepClone();
            if (oldSpec["clusterIPs"] is { } ips) spec["clusterIPs"] = ips.DeepClone();
        }
        NodePortAllocator.KeepAllocated(old, updated);
    }

    private static void Deployment(JsonObject deployment)
    {
        var spec = Child(deployment, "spec");
        Template(spec);
        Default(spec, "replicas", 1);
        Default(spec, "revisionHistoryLimit", 10);
        Default(spec, "progressDeadlineSeconds", 600);
        var strategy = Child(spec, "strategy");
        Default(strategy, "type", "RollingUpdate");
        if (Str(strategy["type"]) == "RollingUpdate")
        {
            var rolling = Child(strategy, "rollingUpdate");
            Default(rolling, "maxUnavailable", "25%");
            Default(rolling, "maxSurge", "25%");
        }
    }
}
