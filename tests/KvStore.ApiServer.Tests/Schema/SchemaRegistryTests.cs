using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Tests.Schema;

public sealed class SchemaRegistryTests
{
    /// <summary>The resource at its preferred version (the first one the catalog lists).</summary>
    private static ResourceInfo R(string resource) => ResourceCatalog.All.First(r => r.Resource == resource);

    private static FieldSchema At(FieldSchema schema, params string[] path)
    {
        foreach (var p in path)
            schema = p == "[]" ? schema.Items! : schema.Properties[p];
        return schema;
    }

    [Fact]
    public void EveryCatalogKindHasASchemaWithMetadata()
    {
        foreach (var r in ResourceCatalog.All)
        {
            var schema = SchemaRegistry.For(r);
            Assert.Equal(FieldType.Object, schema.Type);
            Assert.Contains("apiVersion", schema.Properties.Keys);
            Assert.Contains("kind", schema.Properties.Keys);
            Assert.Equal("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", schema.Properties["metadata"].Definition);
            Assert.EndsWith("." + r.Kind, schema.Definition);
        }
    }

    [Theory]
    // field path, merge key, strategy, list type, map keys
    [InlineData("pods", "spec.containers", "name", "merge", "map", "name")]
    [InlineData("pods", "spec.initContainers", "name", "merge", "map", "name")]
    [InlineData("pods", "spec.containers.[].ports", "containerPort", "merge", "map", "containerPort,protocol")]
    [InlineData("pods", "spec.containers.[].env", "name", "merge", "map", "name")]
    [InlineData("pods", "spec.containers.[].volumeMounts", "mountPath", "merge", "map", "mountPath")]
    [InlineData("pods", "spec.volumes", "name", "merge,retainKeys", "map", "name")]
    [InlineData("pods", "spec.imagePullSecrets", "name", "merge", "map", "name")]
    [InlineData("pods", "spec.tolerations", null, null, "atomic", "")]
    [InlineData("pods", "metadata.ownerReferences", "uid", "merge", "map", "uid")]
    [InlineData("pods", "metadata.finalizers", null, "merge", "set", "")]
    [InlineData("pods", "status.conditions", "type", "merge", "map", "type")]
    [InlineData("services", "spec.ports", "port", "merge", "map", "port,protocol")]
    [InlineData("deployments", "spec.template.spec.containers", "name", "merge", "map", "name")]
    [InlineData("deployments", "status.conditions", "type", "merge", "map", "type")]
    [InlineData("statefulsets", "spec.template.spec.volumes", "name", "merge,retainKeys", "map", "name")]
    [InlineData("daemonsets", "spec.template.spec.tolerations", null, null, "atomic", "")]
    [InlineData("nodes", "status.conditions", "type", "merge", "map", "type")]
    [InlineData("nodes", "status.addresses", "type", "merge", null, "")]
    [InlineData("serviceaccounts", "secrets", "name", "merge", "map", "name")]
    [InlineData("horizontalpodautoscalers", "spec.metrics", null, null, "atomic", "")]
    [InlineData("ingresses", "spec.rules", null, null, "atomic", "")]
    public void ListsCarryTheGoPatchTags(string resource, string path, string? key, string? strategy, string? listType, string mapKeys)
    {
        var list = At(SchemaRegistry.For(R(resource)), path.Split('.'));
        Assert.Equal(FieldType.Array, list.Type);
        Assert.Equal(key, list.PatchMergeKey);
        Assert.Equal(strategy, list.PatchStrategy);
        Assert.Equal(listType, list.ListType);
        Assert.Equal(mapKeys, string.Join(",", list.ListMapKeys));
    }

    [Fact]
    public void ScalarTypes()
    {
        var deploy = SchemaRegistry.For(R("deployments"));
        Assert.Equal(FieldType.Integer, At(deploy, "spec", "replicas").Type);
        Assert.Equal(FieldType.IntOrString, At(deploy, "spec", "strategy", "rollingUpdate", "maxSurge").Type);
        Assert.Equal(FieldType.Map, At(deploy, "spec", "template", "metadata", "labels").Type);
        Assert.Equal(FieldType.IntOrString, At(deploy, "spec", "template", "spec", "containers", "[]", "resources", "limits").AdditionalProperties!.Type);
        Assert.Equal(FieldType.Boolean, At(SchemaRegistry.For(R("configmaps")), "immutable").Type);
        Assert.Equal(FieldType.Any, At(SchemaRegistry.For(R("pods")), "metadata", "managedFields", "[]", "fieldsV1").Type);
        Assert.Equal(["containers"], At(SchemaRegistry.For(R("pods")), "spec").Required);
        Assert.Equal(["selector", "template"], At(deploy, "spec").Required);
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void UnknownFieldsAreReportedWithKubesPaths()
    {
        var deploy = Parse("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"},"foo":1},
         "spec":{"replicas":2,"replica":3,"selector":{"matchLabels":{"app":"web"}},
          "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
            {"name":"a","image":"nginx","ports":[{"containerPort":80}]},
            {"name":"b","image":"nginx","ports":[{"containerPort":81,"containerPortZ":1}],"bogus":{"x":1},
             "resources":{"limits":{"cpu":"100m"}},"env":[{"name":"X","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}}},
         "status":{"replicas":1},"extra":null}
        """);
        Assert.Equal(
        [
            "unknown field \"metadata.foo\"",
            "unknown field \"spec.replica\"",
            "unknown field \"spec.template.spec.containers[1].ports[0].containerPortZ\"",
            "unknown field \"spec.template.spec.containers[1].bogus\"",
            "unknown field \"extra\"",
        ], SchemaRegistry.UnknownFields(R("deployments"), deploy));
    }

    [Fact]
    public void ApplyWordingNamesListElementsByKey()
    {
        var deploy = Parse("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","x":1,"finalizers":["a"]},
         "spec":{"template":{"spec":{"containers":[{"name":"nginx","ports":[{"containerPort":80,"protocol":"TCP","bad":1}],"foo":2}],
          "tolerations":[{"key":"k","oops":true}]}}}}
        """);
        Assert.Equal(
        [
            ".metadata.x: field not declared in schema",
            ".spec.template.spec.containers[name=\"nginx\"].ports[containerPort=80,protocol=\"TCP\"].bad: field not declared in schema",
            ".spec.template.spec.containers[name=\"nginx\"].foo: field not declared in schema",
            ".spec.template.spec.tolerations[0].oops: field not declared in schema",
        ], SchemaRegistry.UndeclaredFields(R("deployments"), deploy));
    }

    [Fact]
    public void DuplicateFieldsAreFoundInTheRawBody()
    {
        Assert.Equal(
        [
            "duplicate field \"spec.replicas\"",
            "duplicate field \"spec.template.spec.containers[1].image\"",
            "duplicate field \"kind\"",
        ], SchemaRegistry.DuplicateFields("""
        {"kind":"Deployment","spec":{"replicas":1,"replicas":2,"template":{"spec":{"containers":[
          {"name":"a","image":"x"},{"name":"b","image":"x","image":"y","ports":[{"containerPort":1}]}]}}},
         "metadata":{"labels":{"a":"1","b":"1"}},"kind":"Deployment"}
        """));
        Assert.Empty(SchemaRegistry.DuplicateFields("""{"a":[{"x":1},{"x":2}],"b":{"x":1}}"""));
        Assert.Empty(SchemaRegistry.DuplicateFields("{not json"));
    }

    [Fact]
    public void FieldsNewerThan132AreUnknown()
    {
        var hpa = Parse("""{"spec":{"behavior":{"scaleUp":{"tolerance":"0.1"}}},"status":{"observedGeneration":1}}""");
        Assert.Equal(["unknown field \"spec.behavior.scaleUp.tolerance\""], SchemaRegistry.UnknownFields(R("horizontalpodautoscalers"), hpa));
    }

    [Fact]
    public void KnownObjectsHaveNoUnknownFields()
    {
        var pod = Parse("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","uid":"u","resourceVersion":"5",
          "creationTimestamp":"2024-01-01T00:00:00Z","annotations":{"a":"b"},
          "managedFields":[{"manager":"kubectl","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:x":{}}}}]},
         "spec":{"containers":[{"name":"c","image":"i","command":["sh"],"args":["-c","x"],
            "livenessProbe":{"httpGet":{"path":"/","port":"http"},"periodSeconds":5},
            "securityContext":{"capabilities":{"drop":["ALL"]},"runAsNonRoot":true},
            "volumeMounts":[{"name":"v","mountPath":"/v"}]}],
          "volumes":[{"name":"v","configMap":{"name":"cm","items":[{"key":"k","path":"p"}]}},{"name":"w","emptyDir":{}}],
          "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"k","operator":"In","values":["a"]}]}]}},
            "podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,"podAffinityTerm":{"topologyKey":"kubernetes.io/hostname","labelSelector":{"matchLabels":{"a":"b"}}}}]}},
          "tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule"}],
          "topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"}]},
         "status":{"phase":"Running","podIP":"10.0.0.1","conditions":[{"type":"Ready","status":"True"}],
          "containerStatuses":[{"name":"c","ready":true,"restartCount":0,"image":"i","imageID":"x","state":{"running":{"startedAt":"2024-01-01T00:00:00Z"}}}]}}
        """);
        Assert.Empty(SchemaRegistry.UnknownFields(R("pods"), pod));

        var hpa = Parse("""
        {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"h"},
         "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":5,
          "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}],
          "behavior":{"scaleDown":{"stabilizationWindowSeconds":300,"policies":[{"type":"Pods","value":1,"periodSeconds":60}]}}}}
        """);
        Assert.Empty(SchemaRegistry.UnknownFields(R("horizontalpodautoscalers"), hpa));

        var ing = Parse("""
        {"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"i"},
         "spec":{"ingressClassName":"nginx","tls":[{"hosts":["a.example.com"],"secretName":"s"}],
          "rules":[{"host":"a.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}
        """);
        Assert.Empty(SchemaRegistry.UnknownFields(R("ingresses"), ing));
    }

    [Fact]
    public void TypeErrorsAreWordedAsGosDecoder()
    {
        var deploy = Parse("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},"spec":{"replicas":"3","template":{"spec":{"containers":[{"name":"a","ports":[{"containerPort":"80"}]}]}}}}""");
        Assert.Equal(
        [
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
            "json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32",
        ], SchemaRegistry.TypeErrors(R("deployments"), deploy));
        var ok = Parse("""{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":1,"memory":"1Gi"}},"ports":[{"containerPort":80}],"readinessProbe":{"httpGet":{"port":8080}}}]}}""");
        Assert.Empty(SchemaRegistry.TypeErrors(R("pods"), ok));
        var quantities = Parse("""{"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"250m","memory":"64Mi","x":"1e3","y":"0.5","z":"+1.5Gi"},"limits":{"cpu":"1 core"}}}]}}""");
        Assert.Equal(["quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
            SchemaRegistry.TypeErrors(R("pods"), quantities));
    }
}
