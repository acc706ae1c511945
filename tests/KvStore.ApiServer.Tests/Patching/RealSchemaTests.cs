using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Tests.Patching;

/// <summary>The patch kinds over the schema part's trees: the Go patch tags they carry drive the merges kubectl relies on.</summary>
public sealed class RealSchemaTests
{
    private static FieldSchema Kind(string kind) => SchemaRegistry.ForKind(kind) ?? throw new InvalidOperationException(kind);

    [Fact]
    public void ServicePortsMergeByPortAndSelectorMerges()
    {
        var result = Patcher.ApplyStrategicMerge(
            JsonNode.Parse("""{"spec":{"selector":{"app":"a","tier":"x"},"ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"},{"name":"https","port":443,"protocol":"TCP"}]}}""")!,
            JsonNode.Parse("""{"spec":{"selector":{"tier":null},"ports":[{"port":80,"targetPort":9090}]}}""")!, Kind("Service"));
        JsonAssert.Equal("""{"spec":{"selector":{"app":"a"},"ports":[{"name":"http","port":80,"targetPort":9090,"protocol":"TCP"},{"name":"https","port":443,"protocol":"TCP"}]}}""", result);
    }

    [Fact]
    public void PodSpecListsMergeByTheirKeys()
    {
        const string deployment = """
            {"spec":{"template":{"spec":{
              "containers":[{"name":"web","image":"a","env":[{"name":"A","value":"1"}],"volumeMounts":[{"name":"conf","mountPath":"/etc/conf"}],
                             "ports":[{"containerPort":80,"protocol":"TCP"}]}],
              "volumes":[{"name":"conf","configMap":{"name":"c"}}],
              "tolerations":[{"key":"a","operator":"Exists"}]}}}}
            """;
        const string patch = """
            {"spec":{"template":{"spec":{
              "containers":[{"name":"web","env":[{"name":"B","value":"2"}],"volumeMounts":[{"name":"data","mountPath":"/data"}],"ports":[{"containerPort":443}]}],
              "volumes":[{"$retainKeys":["emptyDir","name"],"name":"conf","emptyDir":{}},{"name":"data","emptyDir":{}}],
              "tolerations":[{"key":"b","operator":"Exists"}]}}}}
            """;
        var result = Patcher.ApplyStrategicMerge(JsonNode.Parse(deployment)!, JsonNode.Parse(patch)!, Kind("Deployment"));
        var spec = result["spec"]!["template"]!["spec"]!;
        var web = spec["containers"]![0]!;
        Assert.Equal("a", web["image"]!.GetValue<string>());
        Assert.Equal(["B", "A"], web["env"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));
        Assert.Equal(["/data", "/etc/conf"], web["volumeMounts"]!.AsArray().Select(e => e!["mountPath"]!.GetValue<string>()));
        Assert.Equal([443, 80], web["ports"]!.AsArray().Select(e => e!["containerPort"]!.GetValue<int>()));
        JsonAssert.Equal("""[{"name":"conf","emptyDir":{}},{"name":"data","emptyDir":{}}]""", spec["volumes"]);
        // tolerations carry no patch strategy in k8s.io/api: replaced
        JsonAssert.Equal("""[{"key":"b","operator":"Exists"}]""", spec["tolerations"]);
    }

    [Fact]
    public void ServerSideApplyRecordsContainersByName()
    {
        var created = Patcher.ApplyServerSide(null, JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"d"},
             "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}
            """)!.AsObject(), "kubectl", false, Kind("Pod"), DateTimeOffset.UnixEpoch);
        JsonAssert.Equal("""
            {"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{},
              "f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}
            """, created["metadata"]!["managedFields"]![0]!["fieldsV1"]);
    }
}
