using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;

namespace KvStore.ApiServer.Tests.Patching;

public sealed class StrategicMergeTests
{
    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"web","namespace":"shop","resourceVersion":"42","labels":{"app":"web","tier":"front"},"finalizers":["a","b","c"]},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
           "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
           "template":{"metadata":{"labels":{"app":"web"}},"spec":{
             "containers":[
               {"name":"web","image":"nginx:1.25","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"ports":[{"containerPort":80,"protocol":"TCP"}]},
               {"name":"sidecar","image":"busybox","command":["sleep","inf"]}],
             "volumes":[{"name":"conf","configMap":{"name":"web-conf"}}],
             "nodeSelector":{"disk":"ssd","zone":"a"}}}}}
        """;

    private static JsonNode Apply(string patch, string original = Deployment) =>
        Patcher.ApplyStrategicMerge(JsonNode.Parse(original)!, JsonNode.Parse(patch)!, TestSchemas.Deployment);

    private static JsonNode? At(JsonNode node, string path) =>
        path.Split('.').Aggregate<string, JsonNode?>(node, (n, p) => int.TryParse(p, out var i) ? n?[i] : n?[p]);

    [Fact]
    public void TheSecondKubectlApplyPatchGivesTheEditedObject()
    {
        // The shape kubectl apply sends on a second apply (see notes/kubectl.md): the last-applied annotation,
        // null for a removed label, $setElementOrder for each merged list it touches, $patch: delete for removed
        // elements, and only the changed fields of an element beside its merge key.
        const string patch = """
            {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"},"labels":{"tier":null}},
             "spec":{"template":{"spec":{
               "$setElementOrder/containers":[{"name":"web"},{"name":"sidecar"}],
               "containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"C"}],
                              "env":[{"name":"C","value":"3"},{"$patch":"delete","name":"B"}],
                              "image":"nginx:1.27","name":"web"}]}}}}
            """;
        var result = Apply(patch);
        JsonAssert.Equal("""{"app":"web"}""", At(result, "metadata.labels"));
        JsonAssert.Equal("""{"kubectl.kubernetes.io/last-applied-configuration":"{}"}""", At(result, "metadata.annotations"));
        JsonAssert.Equal("""
            [{"name":"web","image":"nginx:1.27","env":[{"name":"A","value":"1"},{"name":"C","value":"3"}],"ports":[{"containerPort":80,"protocol":"TCP"}]},
             {"name":"sidecar","image":"busybox","command":["sleep","inf"]}]
            """, At(result, "spec.template.spec.containers"));
        Assert.Equal("42", At(result, "metadata.resourceVersion")!.GetValue<string>());
        Assert.Equal(2, At(result, "spec.replicas")!.GetValue<int>());
    }

    public static TheoryData<string, string, string, string> Cases => new()
    {
        {
            "a container patched by name leaves the other",
            """{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}""",
            "spec.template.spec.containers",
            """[{"name":"web","image":"nginx:1.25","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"ports":[{"containerPort":80,"protocol":"TCP"}]},{"name":"sidecar","image":"busybox:1.36","command":["sleep","inf"]}]"""
        },
        {
            // without $setElementOrder apimachinery puts the patch's new elements before the server's
            "a new container goes first",
            """{"spec":{"template":{"spec":{"containers":[{"name":"log","image":"fluentbit"}]}}}}""",
            "spec.template.spec.containers.0",
            """{"name":"log","image":"fluentbit"}"""
        },
        {
            "$setElementOrder reorders the containers",
            """{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"web"}]}}}}""",
            "spec.template.spec.containers.0.name",
            "\"sidecar\""
        },
        {
            "an atomic list (command) is replaced",
            """{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","command":["true"]}]}}}}""",
            "spec.template.spec.containers.1.command",
            """["true"]"""
        },
        {
            "ports merge by containerPort",
            """{"spec":{"template":{"spec":{"containers":[{"name":"web","ports":[{"containerPort":443,"name":"https"},{"containerPort":80,"name":"http"}]}]}}}}""",
            "spec.template.spec.containers.0.ports",
            """[{"containerPort":443,"name":"https"},{"containerPort":80,"protocol":"TCP","name":"http"}]"""
        },
        {
            "$patch: replace on a list",
            """{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"x"},{"$patch":"replace"}]}}}}""",
            "spec.template.spec.containers",
            """[{"name":"only","image":"x"}]"""
        },
        {
            "$patch: replace on a map",
            """{"spec":{"template":{"spec":{"nodeSelector":{"$patch":"replace","gpu":"yes"}}}}}""",
            "spec.template.spec.nodeSelector",
            """{"gpu":"yes"}"""
        },
        {
            "$patch: delete on a map empties it",
            """{"spec":{"template":{"spec":{"nodeSelector":{"$patch":"delete"}}}}}""",
            "spec.template.spec.nodeSelector",
            "{}"
        },
        {
            "$retainKeys drops the other union member (strategy Recreate)",
            """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}""",
            "spec.strategy",
            """{"type":"Recreate"}"""
        },
        {
            "$retainKeys in a volume switches its source",
            """{"spec":{"template":{"spec":{"$setElementOrder/volumes":[{"name":"conf"}],"volumes":[{"$retainKeys":["emptyDir","name"],"emptyDir":{},"name":"conf"}]}}}}""",
            "spec.template.spec.volumes",
            """[{"name":"conf","emptyDir":{}}]"""
        },
        {
            "$deleteFromPrimitiveList removes from a merged set",
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"],"finalizers":["d"]}}""",
            "metadata.finalizers",
            """["d","a","c"]"""
        },
        {
            "null deletes, a null for a missing key is ignored",
            """{"spec":{"template":{"spec":{"nodeSelector":{"zone":null,"rack":null}}}}}""",
            "spec.template.spec.nodeSelector",
            """{"disk":"ssd"}"""
        },
        {
            "directives in a value taken whole are dropped",
            """{"spec":{"template":{"spec":{"initContainers":[{"name":"init","image":"x","$setElementOrder/env":[{"name":"A"}],"env":[{"name":"A","value":"1"},{"$patch":"delete","name":"Z"}]}]}}}}""",
            "spec.template.spec.initContainers",
            """[{"name":"init","image":"x","env":[{"name":"A","value":"1"}]}]"""
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Directives(string name, string patch, string path, string expected)
    {
        _ = name;
        var original = JsonNode.Parse(Deployment)!;
        var result = Patcher.ApplyStrategicMerge(original, JsonNode.Parse(patch)!, TestSchemas.Deployment);
        JsonAssert.Equal(expected, At(result, path));
        JsonAssert.Equal(Deployment, original);
    }

    [Fact]
    public void ServicePortsMergeByPort()
    {
        const string service = """{"spec":{"ports":[{"port":80,"targetPort":8080,"protocol":"TCP"},{"port":443,"targetPort":8443,"protocol":"TCP"}]}}""";
        var result = Patcher.ApplyStrategicMerge(JsonNode.Parse(service)!,
            JsonNode.Parse("""{"spec":{"ports":[{"port":443,"targetPort":9443},{"$patch":"delete","port":80}]}}""")!, TestSchemas.Service);
        JsonAssert.Equal("""{"spec":{"ports":[{"port":443,"targetPort":9443,"protocol":"TCP"}]}}""", result);
    }

    [Fact]
    public void WithoutASchemaListsAreReplacedAndMapsMerged()
    {
        var result = Patcher.ApplyStrategicMerge(JsonNode.Parse("""{"a":{"x":1,"y":2},"l":[{"name":"a"},{"name":"b"}]}""")!,
            JsonNode.Parse("""{"a":{"y":null,"z":3},"l":[{"name":"c"}]}""")!, schema: null);
        JsonAssert.Equal("""{"a":{"x":1,"z":3},"l":[{"name":"c"}]}""", result);
    }

    [Theory]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"image":"no-name"}]}}}}""", false, "does not contain declared merge key: name")]
    [InlineData("""{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":1}}}}""", true, "invalid patch format of retainKeys")]
    [InlineData("""{"spec":{"template":{"spec":{"$setElementOrder/containers":{"name":"web"}}}}}""", true, "invalid patch format of setElementOrder list")]
    [InlineData("""{"spec":{"template":{"spec":{"nodeSelector":{"$patch":"explode"}}}}}""", false, "unknown patch type: explode")]
    [InlineData("""{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"name":"sidecar","image":"z"}]}}}}""", false, "doesn't match $setElementOrder list")]
    public void BadPatchesAreRefused(string patch, bool badRequest, string message)
    {
        var e = Assert.Throws<PatchException>(() => Apply(patch));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(badRequest, e.BadRequest);
    }

    [Fact]
    public void ThroughTheContentTypeDispatch()
    {
        var result = Patcher.Apply(Patcher.StrategicMergePatch, JsonAssert.Obj(Deployment),
            """{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}""", TestSchemas.Deployment);
        Assert.Equal("nginx:1.27", At(result, "spec.template.spec.containers.0.image")!.GetValue<string>());
        Assert.Equal("busybox", At(result, "spec.template.spec.containers.1.image")!.GetValue<string>());
    }
}
