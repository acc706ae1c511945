using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;

namespace KvStore.ApiServer.Tests.Patching;

public sealed class ServerSideApplyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 2, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddMinutes(5);

    private const string Intent = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
           "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}}
        """;

    private static JsonObject Apply(JsonObject? live, string intent, string manager = "kubectl", bool force = false, DateTimeOffset? at = null) =>
        Patcher.ApplyServerSide(live, JsonAssert.Obj(intent), manager, force, TestSchemas.Deployment, at ?? T0);

    /// <summary>What kube-apiserver stores: its own metadata beside the applied fields.</summary>
    private static JsonObject Stored(JsonObject obj)
    {
        var meta = (JsonObject)obj["metadata"]!;
        meta["uid"] = "6d2f1b9e-0000-4000-8000-000000000001";
        meta["resourceVersion"] = "17";
        meta["creationTimestamp"] = "2026-11-27T02:00:00Z";
        meta["generation"] = 1;
        return obj;
    }

    private static JsonObject Entry(JsonObject obj, string manager) =>
        (JsonObject)obj["metadata"]!["managedFields"]!.AsArray().Single(e => e!["manager"]!.GetValue<string>() == manager)!;

    [Fact]
    public void CreateRecordsTheAppliersFieldsAsKubeDoes()
    {
        var created = Apply(null, Intent);
        JsonAssert.Equal("""
            [{"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1","time":"2026-11-27T02:00:00Z","fieldsType":"FieldsV1",
              "fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
                          "f:spec":{"f:replicas":{},"f:selector":{"f:matchLabels":{".":{},"f:app":{}}},
                                    "f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
                                                  "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}}]
            """, created["metadata"]!["managedFields"]);
        created["metadata"]!.AsObject().Remove("managedFields");
        JsonAssert.Equal(Intent, created);
    }

    [Fact]
    public void ReapplyChangesOwnFieldsAndRemovesWhatItNoLongerApplies()
    {
        var live = Stored(Apply(null, Intent));
        var result = Apply(live, """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
               "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}
            """, at: T1);
        Assert.Null(result["metadata"]!["labels"]); // no longer applied, nobody else owned it
        Assert.Equal("nginx:1.27", result["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal("17", result["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("6d2f1b9e-0000-4000-8000-000000000001", result["metadata"]!["uid"]!.GetValue<string>());
        var entry = Entry(result, "kubectl");
        Assert.Equal("2026-11-27T02:05:00Z", entry["time"]!.GetValue<string>());
        Assert.Null(entry["fieldsV1"]!["f:metadata"]);
    }

    [Fact]
    public void AnotherManagersDifferentValueConflictsUntilForced()
    {
        var live = Stored(Apply(null, Intent));
        const string scaler = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":5}}""";

        var e = Assert.Throws<ApplyConflictException>(() => Apply(live, scaler, "scaler"));
        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas", e.Message);
        Assert.Equal((".spec.replicas", "conflict with \"kubectl\""), Assert.Single(e.Conflicts));

        var forced = Apply(live, scaler, "scaler", force: true);
        Assert.Equal(5, forced["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(Entry(forced, "kubectl")["fieldsV1"]!["f:spec"]!["f:replicas"]);
        JsonAssert.Equal("""{"f:spec":{"f:replicas":{}}}""", Entry(forced, "scaler")["fieldsV1"]);

        // the first manager re-applying its old value now conflicts with the new owner
        var back = Assert.Throws<ApplyConflictException>(() => Apply(Stored(forced), Intent));
        Assert.Equal("Apply failed with 1 conflict: conflict with \"scaler\": .spec.replicas", back.Message);
    }

    [Fact]
    public void TheSameValueIsSharedAndOutlivesOneOwner()
    {
        var live = Stored(Apply(null, Intent));
        var shared = Stored(Apply(live, """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":2}}""", "scaler"));
        Assert.NotNull(Entry(shared, "kubectl")["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.NotNull(Entry(shared, "scaler")["fieldsV1"]!["f:spec"]!["f:replicas"]);

        // kubectl stops applying replicas: the scaler still owns it, so it stays
        var withoutReplicas = Apply(shared, """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},
             "spec":{"selector":{"matchLabels":{"app":"web"}},
               "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}}
            """);
        Assert.Equal(2, withoutReplicas["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public void ContainersAreOwnedPerElement()
    {
        var live = Stored(Apply(null, Intent));
        var withSidecar = Stored(Apply(live, """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},
             "spec":{"template":{"spec":{"containers":[{"name":"istio-proxy","image":"proxy:1"}]}}}}
            """, "injector"));
        var containers = withSidecar["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(["web", "istio-proxy"], containers.Select(c => c!["name"]!.GetValue<string>()));

        // kubectl re-applies its own container only: the injector's stays; changing the other's image conflicts
        var reapplied = Apply(withSidecar, Intent.Replace("nginx:1.25", "nginx:1.26", StringComparison.Ordinal));
        Assert.Equal(2, reapplied["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Count);
        var e = Assert.Throws<ApplyConflictException>(() => Apply(withSidecar, """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},
             "spec":{"template":{"spec":{"containers":[{"name":"istio-proxy","image":"proxy:2"}]}}}}
            """));
        Assert.Equal(".spec.template.spec.containers[name=\"istio-proxy\"].image", e.Conflicts.Single().Field);

        // a new applied element goes before the shared one it precedes in the applied list; live-only ones stay put
        var withInit = Apply(withSidecar, Intent.Replace("""[{"name":"web","image":"nginx:1.25"}]""",
            """[{"name":"log","image":"fluentbit"},{"name":"web","image":"nginx:1.25"}]""", StringComparison.Ordinal));
        Assert.Equal(["log", "web", "istio-proxy"], withInit["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));

        // the injector drops its container: it goes
        var dropped = Apply(withSidecar, """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"}}""", "injector");
        Assert.Equal("web", dropped["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!["name"]!.GetValue<string>());
        Assert.DoesNotContain(dropped["metadata"]!["managedFields"]!.AsArray(), m => m!["manager"]!.GetValue<string>() == "injector");
    }

    [Fact]
    public void UpdateManagersFromCreateAndClientSideApplyConflictToo()
    {
        // kubectl create (an Update by "kubectl-create"), then kubectl apply --server-side changing the image
        var created = Stored(Patcher.TrackUpdate(null, JsonAssert.Obj(Intent), "kubectl-create", TestSchemas.Deployment, null, T0));
        var entry = Entry(created, "kubectl-create");
        Assert.Equal("Update", entry["operation"]!.GetValue<string>());
        Assert.Equal("apps/v1", entry["apiVersion"]!.GetValue<string>());

        var e = Assert.Throws<ApplyConflictException>(() => Apply(created, Intent.Replace("nginx:1.25", "nginx:1.27", StringComparison.Ordinal)));
        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-create\" using apps/v1: .spec.template.spec.containers[name=\"web\"].image", e.Message);

        // the same values: no conflict, shared
        var same = Apply(created, Intent);
        Assert.Equal(2, same["metadata"]!["managedFields"]!.AsArray().Count);
    }

    [Fact]
    public void ObjectsWithoutManagedFieldsBelongToBeforeFirstApply()
    {
        var legacy = Stored(JsonAssert.Obj(Intent));
        var e = Assert.Throws<ApplyConflictException>(() => Apply(legacy, Intent.Replace("\"replicas\":2", "\"replicas\":3", StringComparison.Ordinal)));
        Assert.Contains("conflict with \"before-first-apply\" using apps/v1", e.Message, StringComparison.Ordinal);
        var ok = Apply(legacy, Intent);
        Assert.Equal(["before-first-apply", "kubectl"], ok["metadata"]!["managedFields"]!.AsArray().Select(m => m!["manager"]!.GetValue<string>()));
    }

    [Fact]
    public void TrackUpdateMovesChangedFieldsToTheWriter()
    {
        var created = Stored(Patcher.TrackUpdate(null, JsonAssert.Obj(Intent), "kubectl-create", TestSchemas.Deployment, null, T0));
        var edited = JsonAssert.Obj(created.ToJsonString());
        edited["spec"]!["replicas"] = 4;
        var tracked = Patcher.TrackUpdate(created, edited, "kubectl-edit", TestSchemas.Deployment, null, T1);
        JsonAssert.Equal("""{"f:spec":{"f:replicas":{}}}""", Entry(tracked, "kubectl-edit")["fieldsV1"]);
        Assert.Null(Entry(tracked, "kubectl-create")["fieldsV1"]!["f:spec"]!["f:replicas"]);

        // nothing changed: no entry for the writer
        var untouched = Patcher.TrackUpdate(created, JsonAssert.Obj(created.ToJsonString()), "kubectl-replace", TestSchemas.Deployment, null, T1);
        Assert.Single(untouched["metadata"]!["managedFields"]!.AsArray());
    }

    [Fact]
    public void ListElementsKeepTheirIdentityWhenDefaultingAddsAKeyField()
    {
        const string intent = """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"dns","namespace":"kube-system"},
             "spec":{"selector":{"k8s-app":"kube-dns"},"ports":[{"name":"dns","port":53,"targetPort":53,"protocol":"UDP"},{"name":"metrics","port":9153,"targetPort":9153}]}}
            """;
        static JsonObject Defaulted(JsonObject obj)
        {
            // what the REST layer's defaulting does after the patch: protocol TCP where none is given
            foreach (var port in obj["spec"]!["ports"]!.AsArray())
                port!.AsObject()["protocol"] ??= "TCP";
            return Stored(obj);
        }
        JsonObject Apply(JsonObject? live, string body) => Patcher.ApplyServerSide(live, JsonAssert.Obj(body), "kubectl", false, TestSchemas.Service, T0);

        var created = Defaulted(Apply(null, intent));
        var again = Defaulted(Apply(created, intent));
        Assert.Equal(["dns", "metrics"], again["spec"]!["ports"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        var fields = Entry(again, "kubectl")["fieldsV1"]!["f:spec"]!["f:ports"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Equal(["k:{\"port\":53,\"protocol\":\"UDP\"}", "k:{\"port\":9153,\"protocol\":\"TCP\"}"], fields);

        var withoutMetrics = Apply(again, intent.Replace(""",{"name":"metrics","port":9153,"targetPort":9153}""", "", StringComparison.Ordinal));
        Assert.Equal("dns", withoutMetrics["spec"]!["ports"]!.AsArray().Single()!["name"]!.GetValue<string>());
    }

    [Fact]
    public void MultipleConflictsAreGroupedByManager()
    {
        var live = Stored(Apply(null, Intent));
        var e = Assert.Throws<ApplyConflictException>(() => Apply(live, """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","labels":{"app":"api"}},"spec":{"replicas":9}}
            """, "other"));
        Assert.Equal("Apply failed with 2 conflicts: conflicts with \"kubectl\":\n- .metadata.labels.app\n- .spec.replicas", e.Message);
    }

    [Fact]
    public void MalformedStoredManagedFieldsAreIgnoredNotFatal()
    {
        var live = JsonAssert.Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{not json"},"managedFields":[{"manager":5},{"operation":"Apply"},"x"]},"data":{"a":"1"}}""");
        var result = Patcher.ApplyServerSide(live, JsonAssert.Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"1"}}"""), "kubectl", false, TestSchemas.ConfigMap, T0);
        Assert.Equal(["before-first-apply", "kubectl"], result["metadata"]!["managedFields"]!.AsArray().Select(m => m!["manager"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","managedFields":[{"manager":"m"}]}}""", "metadata.managedFields must be nil")]
    public void BadIntentsAreBadRequests(string intent, string message)
    {
        var e = Assert.Throws<PatchException>(() => Patcher.ApplyServerSide(null, JsonAssert.Obj(intent), "m", false, TestSchemas.ConfigMap));
        Assert.True(e.BadRequest);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ApplyPatchYamlParsesLikeSigsYaml()
    {
        var obj = Patcher.ParseApplyPatch("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: coredns
              namespace: kube-system
            data:
              Corefile: |
                .:53 {
                    errors
                }
              port: "53"
              enabled: "true"
            """);
        Assert.Equal(".:53 {\n    errors\n}\n", obj["data"]!["Corefile"]!.GetValue<string>());
        Assert.Equal("53", obj["data"]!["port"]!.GetValue<string>());
        var typed = Patcher.ParseApplyPatch("a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: x\ng: [1, \"2\"]");
        JsonAssert.Equal("""{"a":1,"b":1.5,"c":true,"d":null,"e":null,"f":"x","g":[1,"2"]}""", typed);
        JsonAssert.Equal("""{"kind":"ConfigMap","data":{"k":"v"}}""", Patcher.ParseApplyPatch("""{"kind":"ConfigMap","data":{"k":"v"}}"""));
        Assert.True(Assert.Throws<PatchException>(() => Patcher.ParseApplyPatch("a: [1")).BadRequest);
        Assert.True(Assert.Throws<PatchException>(() => Patcher.ParseApplyPatch("- 1\n- 2")).BadRequest);
    }
}
