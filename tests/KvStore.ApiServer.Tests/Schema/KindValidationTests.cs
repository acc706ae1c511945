using System.Text.Json.Nodes;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Tests.Schema;

/// <summary>Validation and defaulting of the batch, RBAC, policy, storage, networking and discovery kinds, with
/// kube-apiserver's field paths and messages.</summary>
public sealed class KindValidationTests
{
    private static ResourceInfo R(string resource) => ResourceCatalog.All.Single(r => r.Resource == resource);

    private static List<string> Errors(string resource, string json, string? old = null) =>
        SchemaRegistry.Validate(R(resource), JsonNode.Parse(json)!.AsObject(), old is null ? null : JsonNode.Parse(old)!.AsObject())
            .Select(c => $"{c.Field}: {c.Message}").ToList();

    public static TheoryData<string, string, string[]> Cases() => new()
    {
        { "jobs", """{"metadata":{"name":"j"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"b"}]}}}}""", [] },
        { "jobs", """{"metadata":{"name":"j"},"spec":{"parallelism":-1,"completionMode":"Sometimes","template":{"spec":{"restartPolicy":"Always","containers":[{"name":"c","image":"b"}]}}}}""",
            ["spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
             "spec.completionMode: Unsupported value: \"Sometimes\": supported values: \"NonIndexed\", \"Indexed\"",
             "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""] },
        { "cronjobs", """{"metadata":{"name":"c"},"spec":{"schedule":"@hourly","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"b"}]}}}}}}""", [] },
        { "cronjobs", """{"metadata":{"name":"c"},"spec":{"concurrencyPolicy":"Never","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"b"}]}}}}}}""",
            ["spec.schedule: Required value", "spec.concurrencyPolicy: Unsupported value: \"Never\": supported values: \"Allow\", \"Forbid\", \"Replace\""] },
        { "roles", """{"metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}""", [] },
        { "roles", """{"metadata":{"name":"r"},"rules":[{"verbs":[]},{"nonResourceURLs":["/healthz"],"verbs":["get"]}]}""",
            ["rules[0].verbs: Required value: verbs must contain at least one value",
             "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
             "rules[0].resources: Required value: resource rules must supply at least one resource",
             "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs"] },
        { "clusterroles", """{"metadata":{"name":"system:x"},"rules":[{"nonResourceURLs":["/healthz"],"verbs":["get"]}]}""", [] },
        { "clusterrolebindings", """{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},"subjects":[{"kind":"ServiceAccount","name":"sa"},{"kind":"Robot","name":"x"}]}""",
            ["roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
             "subjects[0].namespace: Required value",
             "subjects[1].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\""] },
        { "poddisruptionbudgets", """{"metadata":{"name":"p"},"spec":{"minAvailable":"150%"}}""", ["spec.minAvailable: Invalid value: \"150%\": must not be greater than 100%"] },
        { "resourcequotas", """{"metadata":{"name":"q"},"spec":{"hard":{"pods":"-1"}}}""", ["spec.hard[pods]: Invalid value: \"-1\": must be greater than or equal to 0"] },
        { "persistentvolumes", """{"metadata":{"name":"pv"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"nfs":{"server":"s","path":"/"}}}""", [] },
        { "persistentvolumes", """{"metadata":{"name":"pv"},"spec":{"accessModes":["ReadWriteSometimes"]}}""",
            ["spec.capacity: Required value",
             "spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
             "spec: Required value: must specify a volume type"] },
        { "storageclasses", """{"metadata":{"name":"s"},"reclaimPolicy":"Recycle"}""",
            ["provisioner: Required value", "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\""] },
        { "ingressclasses", """{"metadata":{"name":"i"},"spec":{"controller":"nginx"}}""", ["spec.controller: Invalid value: \"nginx\": must be a domain-prefixed path (such as \"acme.io/foo\")"] },
        { "endpointslices", """{"metadata":{"name":"e"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.300"]},{"addresses":[]}]}""",
            ["endpoints[0].addresses[0]: Invalid value: \"10.0.0.300\": must be a valid IPv4 address",
             "endpoints[1].addresses: Required value: must contain at least 1 address"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void KubesFieldErrors(string resource, string json, string[] expected) => Assert.Equal(expected, Errors(resource, json));

    [Fact]
    public void UpdatesKeepTheFieldsKubeFreezes()
    {
        Assert.Equal(["roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"b\"}: cannot change roleRef"],
            Errors("rolebindings", """{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"b"}}""",
                """{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"a"}}"""));
        Assert.Equal(["provisioner: Forbidden: updates to provisioner are forbidden."],
            Errors("storageclasses", """{"metadata":{"name":"s"},"provisioner":"b"}""", """{"metadata":{"name":"s"},"provisioner":"a"}"""));
    }

    private static JsonObject Created(string resource, string json)
    {
        var obj = JsonNode.Parse(json)!.AsObject();
        ObjectDefaults.ForCreate(R(resource), obj, DateTimeOffset.UnixEpoch);
        return obj;
    }

    [Fact]
    public void DefaultsAsKubeSetsThem()
    {
        var job = Created("jobs", """{"metadata":{"name":"j","namespace":"d"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"b:1"}]}}}}""");
        var uid = (string?)job["metadata"]!["uid"];
        var spec = job["spec"]!;
        Assert.Equal("1 1 6 NonIndexed false TerminatingOrFailed", string.Join(" ",
            new[] { "completions", "parallelism", "backoffLimit", "completionMode", "suspend", "podReplacementPolicy" }.Select(f => spec[f]!.ToString())));
        Assert.Equal(uid, (string?)job["spec"]!["selector"]!["matchLabels"]!["batch.kubernetes.io/controller-uid"]);
        Assert.Equal("j", (string?)job["metadata"]!["labels"]!["batch.kubernetes.io/job-name"]);
        Assert.Equal("IfNotPresent", (string?)job["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"]);

        var policy = Created("networkpolicies", """{"metadata":{"name":"n"},"spec":{"egress":[{"ports":[{"port":53}]}]}}""");
        Assert.Equal("""["Ingress","Egress"]""", policy["spec"]!["policyTypes"]!.ToJsonString());
        Assert.Equal("TCP", (string?)policy["spec"]!["egress"]![0]!["ports"]![0]!["protocol"]);
        var limits = Created("limitranges", """{"metadata":{"name":"l"},"spec":{"limits":[{"type":"Container","max":{"cpu":"2"},"min":{"memory":"1Mi"}}]}}""");
        Assert.Equal("""{"cpu":"2","memory":"1Mi"}""", limits["spec"]!["limits"]![0]!["defaultRequest"]!.ToJsonString());
        Assert.Equal(("Retain", "Filesystem", "Pending"), ((string?)Created("persistentvolumes", """{"metadata":{"name":"p"},"spec":{}}""")["spec"]!["persistentVolumeReclaimPolicy"],
            (string?)Created("persistentvolumeclaims", """{"metadata":{"name":"c"},"spec":{}}""")["spec"]!["volumeMode"],
            (string?)Created("persistentvolumeclaims", """{"metadata":{"name":"c"},"spec":{}}""")["status"]!["phase"]));
        Assert.Equal(("Delete", "Immediate"), ((string?)Created("storageclasses", """{"metadata":{"name":"s"},"provisioner":"x"}""")["reclaimPolicy"],
            (string?)Created("storageclasses", """{"metadata":{"name":"s"},"provisioner":"x"}""")["volumeBindingMode"]));
    }
}
