using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Tests.Schema;

public sealed class ValidationTests
{
    /// <summary>The resource at its preferred version (the first one the catalog lists).</summary>
    private static ResourceInfo R(string resource) => ResourceCatalog.All.First(r => r.Resource == resource);

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    private static List<string> Errors(string resource, string json, string? old = null) =>
        SchemaRegistry.Validate(R(resource), Parse(json), old is null ? null : Parse(old))
            .Select(c => $"{c.Field}: {c.Message}").ToList();

    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
          "template":{"metadata":{"labels":{"app":"web","tier":"fe"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80}]}]}}}}
        """;

    [Fact]
    public void ValidObjectsPass()
    {
        Assert.Empty(Errors("deployments", Deployment));
        Assert.Empty(Errors("namespaces", """{"metadata":{"name":"team-a"}}"""));
        Assert.Empty(Errors("services", """{"metadata":{"name":"web"},"spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":"http"}]}}"""));
        Assert.Empty(Errors("services", """{"metadata":{"name":"db"},"spec":{"clusterIP":"None","selector":{"app":"db"}}}"""));
        Assert.Empty(Errors("configmaps", """{"metadata":{"name":"coredns","namespace":"kube-system"},"data":{"Corefile":".:53 {\n  forward . /etc/resolv.conf\n}\n"}}"""));
        Assert.Empty(Errors("pods", """{"metadata":{"generateName":"web-"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}"""));
        Assert.Empty(Errors("nodes", """{"metadata":{"name":"node-1.example.com","labels":{"kubernetes.io/hostname":"node-1","node-role.kubernetes.io/control-plane":""}}}"""));
        Assert.Empty(Errors("horizontalpodautoscalers", """{"metadata":{"name":"h"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":3,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]}}"""));
        Assert.Empty(Errors("ingresses", """{"metadata":{"name":"i"},"spec":{"rules":[{"host":"a.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}"""));
        Assert.Empty(Errors("leases", """{"metadata":{"name":"l"},"spec":{"holderIdentity":"x","leaseDurationSeconds":15}}"""));
    }

    [Fact]
    public void NamesFollowKubesRules()
    {
        Assert.Equal(["metadata.name: Required value: name or generateName is required"],
            Errors("configmaps", """{"metadata":{}}"""));
        Assert.Equal(["metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
            Errors("configmaps", """{"metadata":{"name":"Web_1"}}"""));
        Assert.Equal(["metadata.name: Invalid value: \"a.b\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"],
            Errors("namespaces", """{"metadata":{"name":"a.b"}}"""));
        Assert.Equal(["metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
            Errors("services", """{"metadata":{"name":"1web"},"spec":{"ports":[{"port":80}]}}"""));
        Assert.Contains("metadata.name: Invalid value: \"" + new string('a', 64) + "\": must be no more than 63 characters",
            Errors("namespaces", "{\"metadata\":{\"name\":\"" + new string('a', 64) + "\"}}"));
        Assert.Single(Errors("pods", """{"metadata":{"name":"p","labels":{"app":"bad value"}},"spec":{"containers":[{"name":"c","image":"i"}]}}"""));
    }

    [Fact]
    public void PodSpecRequiredFieldsAndRanges()
    {
        Assert.Equal(["spec.containers: Required value"], Errors("pods", """{"metadata":{"name":"p"},"spec":{"containers":[]}}"""));
        Assert.Equal(
        [
            "spec.containers[0].image: Required value",
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.containers[0].ports[1].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
            "spec.containers[1].name: Duplicate value: \"c\"",
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
        ], Errors("pods", """
        {"metadata":{"name":"p"},"spec":{"restartPolicy":"Sometimes","containers":[
          {"name":"c","ports":[{"containerPort":70000},{"containerPort":80,"protocol":"HTTP"}],"volumeMounts":[{"name":"data","mountPath":"/d"}]},
          {"name":"c","image":"i"}]}}
        """));
    }

    [Fact]
    public void RequestsMayNotExceedLimits()
    {
        Assert.Equal(["spec.containers[0].resources.requests[memory]: Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi"],
            Errors("pods", """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","resources":{"requests":{"cpu":"250m","memory":"2Gi"},"limits":{"cpu":1,"memory":"1Gi"}}}]}}"""));
        Assert.Empty(Errors("pods", """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","resources":{"requests":{"cpu":"500m","memory":"512Mi"},"limits":{"cpu":"1","memory":"1Gi"}}}]}}"""));
    }

    [Fact]
    public void WorkloadSelectorMustMatchTemplate()
    {
        var bad = Deployment.Replace("\"app\":\"web\",\"tier\"", "\"app\":\"api\",\"tier\"");
        Assert.Equal(["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\", \"tier\":\"fe\"}: `selector` does not match template `labels`"],
            Errors("deployments", bad));
        Assert.Equal(["spec.selector: Required value"],
            Errors("deployments", """{"metadata":{"name":"w"},"spec":{"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}"""));
        Assert.Contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            Errors("deployments", Deployment.Replace("\"replicas\":2", "\"replicas\":-1")));
        Assert.Contains("spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
            Errors("deployments", Deployment.Replace("\"containers\"", "\"restartPolicy\":\"Never\",\"containers\"")));
        Assert.Contains("spec.template.spec.containers[0].image: Required value",
            Errors("statefulsets", Deployment.Replace("\"image\":\"nginx:1.27\",", "")));
    }

    [Fact]
    public void UpdatesKeepImmutableFields()
    {
        var moved = Deployment.Replace("\"matchLabels\":{\"app\":\"web\"}", "\"matchLabels\":{\"app\":\"web\",\"tier\":\"fe\"}");
        Assert.Equal(["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"fe\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"],
            Errors("deployments", moved, Deployment));
        Assert.Empty(Errors("deployments", Deployment.Replace("nginx:1.27", "nginx:1.28"), Deployment));

        const string pod = """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","env":[{"name":"A","value":"1"}]}]}}""";
        Assert.Empty(Errors("pods", pod.Replace("\"image\":\"i\"", "\"image\":\"j\""), pod));
        Assert.Single(Errors("pods", pod.Replace("\"value\":\"1\"", "\"value\":\"2\""), pod));

        const string cm = """{"metadata":{"name":"c"},"immutable":true,"data":{"a":"1"}}""";
        Assert.Equal(["data: Forbidden: field is immutable when `immutable` is set"], Errors("configmaps", cm.Replace("\"1\"", "\"2\""), cm));
    }

    [Fact]
    public void ServicesIngressesHpas()
    {
        Assert.Equal(["spec.ports: Required value"], Errors("services", """{"metadata":{"name":"s"},"spec":{}}"""));
        Assert.Equal(
        [
            "spec.ports[0].name: Required value",
            "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        ], Errors("services", """{"metadata":{"name":"s"},"spec":{"ports":[{"port":80},{"name":"b","port":0}]}}"""));
        Assert.Equal(["spec.type: Unsupported value: \"Internal\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""],
            Errors("services", """{"metadata":{"name":"s"},"spec":{"type":"Internal","ports":[{"port":80}]}}"""));
        Assert.Equal(["spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.9\"}: may not change once set"],
            Errors("services", """{"metadata":{"name":"s"},"spec":{"clusterIP":"10.96.0.9","ports":[{"port":80}]}}""",
                """{"metadata":{"name":"s"},"spec":{"clusterIP":"10.96.0.8","ports":[{"port":80}]}}"""));
        Assert.Equal(["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"],
            Errors("ingresses", """{"metadata":{"name":"i"},"spec":{"rules":[{"http":{"paths":[{"path":"/","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}"""));
        Assert.Equal(["spec.scaleTargetRef.name: Required value", "spec.maxReplicas: Invalid value: 0: must be greater than 0"],
            Errors("horizontalpodautoscalers", """{"metadata":{"name":"h"},"spec":{"scaleTargetRef":{"kind":"Deployment"},"maxReplicas":0}}"""));
        Assert.Equal(["data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
            Errors("secrets", """{"metadata":{"name":"s"},"data":{"a b":"eA=="}}"""));
    }
}
