using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Wire;

namespace KvStore.ApiServer.Tests.Wire;

/// <summary>
/// The schema-driven protobuf codec against bytes made by real encoders: kubectl 1.32's request bodies (Go's
/// gogo-protobuf) and protoc's encoding of k8s.io/api's generated.proto. Decoding gives kube's JSON; encoding that
/// JSON again gives the very same bytes.
/// </summary>
public sealed class ProtobufCodecTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Wire", "Fixtures");

    public static TheoryData<string> KubectlBodies() =>
        [.. Directory.GetFiles(Fixtures, "kubectl-create-*.pb").Select(f => Path.GetFileName(f)).Order()];

    [Theory]
    [MemberData(nameof(KubectlBodies))]
    public void KubectlBodiesRoundTripByteForByte(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures, file));
        var json = KubeProtobuf.Decode(bytes);
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(KubeProtobuf.Encode(json)!));
    }

    private static JsonObject Kubectl(string name) => KubeProtobuf.Decode(File.ReadAllBytes(Path.Combine(Fixtures, $"kubectl-create-{name}.pb")));

    private static void Same(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), actual.ToJsonString());

    [Fact]
    public void KubectlDeploymentReadsAsKubesJson()
    {
        Same("""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"nginx","labels":{"app":"nginx"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"nginx"}},
               "template":{"metadata":{"labels":{"app":"nginx"}},
                 "spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80}],"resources":{}}]}},
               "strategy":{}},
             "status":{}}
            """, Kubectl("apps-v1-deployments"));
    }

    [Fact]
    public void KubectlAutoscaleReadsAsAutoscalingV1()
    {
        Same("""
            {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",
             "metadata":{"name":"web"},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":2,"maxReplicas":5,
               "targetCPUUtilizationPercentage":60},
             "status":{"currentReplicas":0,"desiredReplicas":0}}
            """, Kubectl("autoscaling-v1-horizontalpodautoscalers"));
    }

    [Fact]
    public void KubectlServiceQuotaSecretAndPdbKeepIntOrStringQuantitiesAndBytes()
    {
        var service = Kubectl("v1-services");
        Same("""{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}""", service["spec"]!["ports"]![0]!);
        Assert.Equal("ClusterIP", (string?)service["spec"]!["type"]);
        Same("""{"cpu":"1","memory":"1Gi","pods":"10"}""", Kubectl("v1-resourcequotas")["spec"]!["hard"]!);
        Same("""{"k":"dg=="}""", Kubectl("v1-secrets")["data"]!);
        Same("""{"a":"b","c":""}""", Kubectl("v1-configmaps")["data"]!);
        Assert.Equal(1, (int)Kubectl("policy-v1-poddisruptionbudgets")["spec"]!["minAvailable"]!);
        Same("""[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}]""", Kubectl("rbac-v1-rolebindings")["subjects"]!);
    }

    private static byte[] Protoc(string name) => File.ReadAllBytes(Path.Combine(Fixtures, $"protoc-{name}.bin"));

    [Fact]
    public void EventWithTimesMicroTimeAndMapsMatchesProtoc()
    {
        var json = JsonNode.Parse("""
            {"metadata":{"name":"e1","namespace":"default","uid":"u-1","resourceVersion":"7","creationTimestamp":"2024-05-06T07:08:09Z","labels":{"z":"","a":"b"}},
             "involvedObject":{"kind":"Pod","namespace":"default","name":"p","uid":"u-2","apiVersion":"v1","resourceVersion":"5","fieldPath":"spec.containers{c}"},
             "reason":"Started","message":"Started container c","source":{"component":"kubelet","host":"n1"},
             "firstTimestamp":"2024-05-06T07:08:09Z","lastTimestamp":"2024-05-06T07:08:10Z","count":3,"type":"Normal",
             "eventTime":"2024-05-06T07:08:09.123456Z","reportingComponent":"kubelet","reportingInstance":"n1"}
            """)!.AsObject();
        var schema = SchemaRegistry.ForKind("Event")!;
        Assert.Equal(Convert.ToHexString(Protoc("event")), Convert.ToHexString(ProtoWriter.Message(schema, json)));
        var read = ProtoReader.Message(schema, Protoc("event"));
        json["metadata"]!["labels"] = new JsonObject { ["a"] = "b", ["z"] = "" };
        Assert.True(JsonNode.DeepEquals(json, read), read.ToJsonString());
    }

    [Fact]
    public void PdbWithPercentNegativeIntAndTimeMapMatchesProtoc()
    {
        var json = JsonNode.Parse("""
            {"metadata":{"name":"budget","namespace":"default","generation":2},
             "spec":{"selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]},"maxUnavailable":"25%"},
             "status":{"observedGeneration":2,"disruptedPods":{"p1":"2024-05-06T07:08:09Z"},"disruptionsAllowed":0,"currentHealthy":-1,"desiredHealthy":3,"expectedPods":4}}
            """)!.AsObject();
        var schema = SchemaRegistry.ForKind("PodDisruptionBudget")!;
        Assert.Equal(Convert.ToHexString(Protoc("poddisruptionbudget")), Convert.ToHexString(ProtoWriter.Message(schema, json)));
        Assert.True(JsonNode.DeepEquals(json, ProtoReader.Message(schema, Protoc("poddisruptionbudget"))));
    }

    [Fact]
    public void CustomResourceDefinitionWithItsRecursiveSchemaMatchesProtoc()
    {
        // JSONSchemaProps inside itself; default/example/enum as raw JSON (null too); items, additionalProperties,
        // additionalItems and dependencies in each of their JSON shapes; an empty subresources.status message
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, "customresourcedefinition.json")))!.AsObject();
        var schema = KubeProtobuf.SchemaOf("apiextensions.k8s.io/v1", "CustomResourceDefinition")!;
        Assert.Equal(Convert.ToHexString(Protoc("customresourcedefinition")), Convert.ToHexString(ProtoWriter.Message(schema, json)));
        var read = ProtoReader.Message(schema, Protoc("customresourcedefinition"));
        Assert.True(JsonNode.DeepEquals(json, read), read.ToJsonString());
        Assert.NotNull(KubeProtobuf.SchemaOf("apiextensions.k8s.io/v1", "CustomResourceDefinitionList"));
    }

    [Fact]
    public void PackedRepeatedScalarsAndUnknownFieldsAreRead()
    {
        // LabelSelector requirement values are strings; Linux container user supplementalGroups (int64) packed: 3 [1, 300].
        var schema = SchemaRegistry.ForKind("Pod")!;
        var user = schema.Properties["status"].Properties["containerStatuses"].Items!.Properties["user"].Properties["linux"];
        byte[] packed = [0x08, 0x05, 0x10, 0x06, 0x1a, 0x03, 0x01, 0xac, 0x02, 0xf8, 0x07, 0x01];
        Same("""{"uid":5,"gid":6,"supplementalGroups":[1,300]}""", ProtoReader.Message(user, packed));
    }

    [Fact]
    public void KindsAreKnownByApiVersionAndKindSoCustomResourcesStayJson()
    {
        Assert.NotNull(KubeProtobuf.SchemaOf("batch/v1", "JobList"));
        Assert.NotNull(KubeProtobuf.SchemaOf("meta.k8s.io/v1beta1", "PartialObjectMetadataList"));
        Assert.Null(KubeProtobuf.SchemaOf("stable.example.com/v1", "Job"));
        Assert.Null(KubeProtobuf.Encode(JsonNode.Parse("""{"apiVersion":"stable.example.com/v1","kind":"Job","metadata":{"name":"j"}}""")!.AsObject()));
        Assert.Null(KubeProtobuf.SchemaOf("meta.k8s.io/v1", "Table"));
    }

    [Fact]
    public void EveryServedKindAndTheCrdKindHaveAProtobufNumberForEachField()
    {
        var missing = new List<string>();
        foreach (var resource in KvStore.ApiServer.Resources.ResourceCatalog.All)
            Walk(SchemaRegistry.For(resource), resource.Kind, missing, []);
        Walk(KubeProtobuf.SchemaOf("apiextensions.k8s.io/v1", "CustomResourceDefinition")!, "CustomResourceDefinition", missing, []);
        Assert.Empty(missing);
    }

    private static void Walk(FieldSchema schema, string path, List<string> missing, HashSet<FieldSchema> seen)
    {
        if (!seen.Add(schema)) return;
        switch (schema.Type)
        {
            case FieldType.Object:
                var numbered = schema.Proto.Where(f => !f.Inline).Select(f => f.Name)
                    .Concat(schema.Proto.Where(f => f.Inline).SelectMany(f => InlineNames(f.Name))).ToHashSet();
                foreach (var (name, child) in schema.Properties)
                {
                    // TypeMeta travels in the envelope (runtime.Unknown), also for kinds nested in templates
                    if (name is "apiVersion" or "kind" && schema.Properties.ContainsKey("metadata")) continue;
                    if (!numbered.Contains(name)) missing.Add($"{path}.{name}");
                    Walk(child, $"{path}.{name}", missing, seen);
                }
                break;
            case FieldType.Array when schema.Items is { } item:
                Walk(item, path + "[]", missing, seen);
                break;
            case FieldType.Map when schema.AdditionalProperties is { } value:
                Walk(value, path + "{}", missing, seen);
                break;
            case FieldType.Any:
                foreach (var shape in schema.OneOf)
                {
                    if (!schema.Proto.Any(f => f.Name == KvStore.ApiServer.Wire.WireTypes.JsonType(shape))) missing.Add($"{path}<{shape.Type}>");
                    Walk(shape, path, missing, seen);
                }
                break;
        }
    }

    private static IEnumerable<string> InlineNames(string definition) =>
        KvStore.ApiServer.Schema.Types.ProtoNumbers.Of(definition).SelectMany(f => f.Inline ? InlineNames(f.Name) : [f.Name]);
}
