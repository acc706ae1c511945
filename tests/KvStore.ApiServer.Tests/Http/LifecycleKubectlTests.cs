using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Tests.Http;

/// <summary>
/// Object lifecycle with the real kubectl: finalizers hold a delete (and `kubectl wait --for=delete` sees the object go
/// once they are removed), a namespace terminates until its content is gone, `--cascade=orphan|background|foreground`
/// as kube's garbage collector carries them out, managedFields for every write. Run against the in-member facade and
/// against the standalone facade over real etcd 3.4.
/// </summary>
public abstract class LifecycleKubectlTests(IApiServerFixture server) : IDisposable
{
    private readonly Kubectl _kubectl = new(server.Url);

    public void Dispose() => _kubectl.Dispose();

    private void Namespace(string name) => _kubectl.Ok("apply -f -", $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");

    private JsonNode Json(string commandLine) => JsonNode.Parse(_kubectl.Ok(commandLine + " -o json"))!;

    /// <summary>Polls <paramref name="condition"/> (kubectl calls) until it holds; false after 30 s.</summary>
    private static bool Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(200);
        }
        return true;
    }

    private static string ConfigMap(string ns, string name, string finalizers = "[]", string owners = "[]") =>
        $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: {ns}, finalizers: {finalizers}, ownerReferences: {owners}}}\n";

    /// <summary>`kubectl wait --for=delete`, returned once it watches (its -v=6 log shows the watch request answered), so
    /// that it sees the delete happen rather than finding the object gone.</summary>
    private ChildProcess WaitForDelete(string what)
    {
        var wait = _kubectl.Start($"wait --for=delete {what} --timeout=60s -v=6");
        Assert.True(wait.WaitFor("watch=true", TimeSpan.FromSeconds(60)), wait.Output);
        return wait;
    }

    private const string RemoveFinalizers = """[{"op":"remove","path":"/metadata/finalizers"}]""";

    [Fact]
    public void FinalizersHoldADeleteUntilRemovedAndWaitForDeleteSeesTheObjectGo()
    {
        Namespace("fin");
        _kubectl.Ok("apply -f -", ConfigMap("fin", "held", "[example.com/hold]"));
        Assert.Contains("configmap \"held\" deleted", _kubectl.Ok("delete cm held -n fin --wait=false"));
        var held = Json("get cm held -n fin")["metadata"]!;
        Assert.NotNull(held["deletionTimestamp"]);
        Assert.Equal(0, (long)held["deletionGracePeriodSeconds"]!);
        Assert.Equal(["example.com/hold"], held["finalizers"]!.AsArray().Select(f => (string)f!));

        Assert.Contains("The ConfigMap \"held\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/more\"}",
            _kubectl.FailsWithInput(null, "patch", "cm", "held", "-n", "fin", "--type=json", "-p", """[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}]"""));
        Assert.Contains("object is being deleted: configmaps \"held\" already exists", _kubectl.Fails("create -f -", ConfigMap("fin", "held")));

        using var wait = WaitForDelete("cm/held -n fin");
        _kubectl.OkArgs("patch", "cm", "held", "-n", "fin", "--type=json", "-p", RemoveFinalizers);
        Assert.True(wait.WaitForExit(TimeSpan.FromSeconds(60)), wait.Output);
        Assert.True(wait.ExitCode == 0, wait.Output);
        Assert.Contains("configmap/held condition met", wait.Output);
        Assert.Contains("(NotFound): configmaps \"held\" not found", _kubectl.Fails("get cm held -n fin"));
    }

    [Fact]
    public void DeletingANamespaceTerminatesItUntilItsContentIsGone()
    {
        Namespace("doomed-ns");
        _kubectl.Ok("apply -f -", ConfigMap("doomed-ns", "plain") + "---\n" + ConfigMap("doomed-ns", "held", "[example.com/hold]"));
        Assert.Contains("namespace \"doomed-ns\" deleted", _kubectl.Ok("delete ns doomed-ns --wait=false"));
        JsonArray? conditions = null;
        Assert.True(Eventually(() =>
        {
            conditions = Json("get ns doomed-ns")["status"]!["conditions"] as JsonArray;
            return conditions?.Any(c => (string)c!["type"]! == "NamespaceFinalizersRemaining" && (string)c["status"]! == "True") == true;
        }), conditions?.ToJsonString());
        Assert.Matches(@"(?m)^doomed-ns +Terminating +", _kubectl.Ok("get ns doomed-ns"));
        (string Status, string Reason, string Message) Condition(string type) =>
            conditions!.Single(c => (string)c!["type"]! == type) is var c ? ((string)c!["status"]!, (string)c["reason"]!, (string)c["message"]!) : default;
        Assert.Equal(("True", "SomeResourcesRemain", "Some resources are remaining: configmaps. has 1 resource instances"), Condition("NamespaceContentRemaining"));
        Assert.Equal(("True", "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"),
            Condition("NamespaceFinalizersRemaining"));
        Assert.Equal(("False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"), Condition("NamespaceDeletionContentFailure"));
        Assert.Equal(("False", "ResourcesDiscovered", "All resources successfully discovered"), Condition("NamespaceDeletionDiscoveryFailure"));
        Assert.Equal("held", _kubectl.Ok("get cm -n doomed-ns -o jsonpath={.items[*].metadata.name}"));
        Assert.Contains("error: failed to create configmap: configmaps \"new\" is forbidden: unable to create new content in namespace doomed-ns because it is being terminated",
            _kubectl.Fails("create configmap new -n doomed-ns"));

        using var wait = WaitForDelete("ns/doomed-ns");
        _kubectl.OkArgs("patch", "cm", "held", "-n", "doomed-ns", "--type=json", "-p", RemoveFinalizers);
        Assert.True(wait.WaitForExit(TimeSpan.FromSeconds(60)), wait.Output);
        Assert.Contains("namespace/doomed-ns condition met", wait.Output);
        Assert.Contains("namespaces \"doomed-ns\" not found", _kubectl.Fails("get ns doomed-ns"));
    }

    [Fact]
    public void ANamespaceStoredWithoutItsFinalizerIsStillEmptiedAndDeleted()
    {
        // as an older kvstore stored `kubectl create namespace`'s namespaces: spec.finalizers empty
        const string legacy = """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"legacy-ns","uid":"6d1b1f8e-0000-4000-8000-000000000001","creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"finalizers":[]},"status":{"phase":"Active"}}""";
        var (code, _, error) = ChildProcess.Run("etcdctl", ["--endpoints", server.ClientUrl, "put", "/registry/namespaces/legacy-ns", legacy],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.True(code == 0, error);
        Assert.True(Eventually(() => _kubectl.Run("get ns legacy-ns").Code == 0));
        _kubectl.Ok("apply -f -", ConfigMap("legacy-ns", "inside"));
        Assert.Contains("namespace \"legacy-ns\" deleted", _kubectl.Ok("delete ns legacy-ns --timeout=60s"));
        Assert.Contains("namespaces \"legacy-ns\" not found", _kubectl.Fails("get ns legacy-ns"));
    }

    /// <summary>An owner ConfigMap and two dependents referring to it (the first blocking its owner's foreground deletion).</summary>
    private string Family(string ns, string dependentFinalizers = "[]")
    {
        _kubectl.Ok("apply -f -", ConfigMap(ns, "owner"));
        var uid = _kubectl.Ok($"get cm owner -n {ns} -o jsonpath={{.metadata.uid}}");
        string Owner(bool block) => $"[{{apiVersion: v1, kind: ConfigMap, name: owner, uid: {uid}, blockOwnerDeletion: {(block ? "true" : "false")}}}]";
        _kubectl.Ok("apply -f -", ConfigMap(ns, "blocking", dependentFinalizers, Owner(true)) + "---\n" + ConfigMap(ns, "loose", "[]", Owner(false)));
        return uid;
    }

    private string Names(string ns) => _kubectl.Ok($"get cm -n {ns} -o jsonpath={{.items[*].metadata.name}}");

    [Fact]
    public void CascadingDeletesFollowThePropagationPolicy()
    {
        Namespace("cascade");
        Family("cascade");
        Assert.Contains("configmap \"owner\" deleted", _kubectl.Ok("delete cm owner -n cascade --cascade=orphan"));
        Assert.Equal("blocking loose", Names("cascade"));
        Assert.Equal("", _kubectl.Ok("get cm -n cascade -o jsonpath={.items[*].metadata.ownerReferences}")); // orphaned: references gone
        _kubectl.Ok("delete cm blocking loose -n cascade");

        Family("cascade");
        _kubectl.Ok("delete cm owner -n cascade --cascade=background");
        Assert.True(Eventually(() => Names("cascade") == ""), Names("cascade")); // the garbage collector follows the owner

        // foreground: the owner waits, with its foregroundDeletion finalizer, for the blocking dependent (held by its own finalizer)
        Family("cascade", "[example.com/hold]");
        _kubectl.Ok("delete cm owner -n cascade --cascade=foreground --wait=false");
        Assert.True(Eventually(() => Names("cascade") == "blocking owner"), Names("cascade"));
        Assert.Equal(["foregroundDeletion"], Json("get cm owner -n cascade")["metadata"]!["finalizers"]!.AsArray().Select(f => (string)f!));
        Assert.NotNull(Json("get cm blocking -n cascade")["metadata"]!["deletionTimestamp"]);
        _kubectl.OkArgs("patch", "cm", "blocking", "-n", "cascade", "--type=json", "-p", RemoveFinalizers);
        _kubectl.Ok("wait --for=delete cm/owner -n cascade --timeout=60s");
        Assert.Equal("", Names("cascade"));

        // kubectl words a 422 as "The <details.kind> "<name>" is invalid: <causes>"
        Assert.Contains("The DeleteOptions \"\" is invalid: propagationPolicy: Unsupported value: \"Sideways\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
            _kubectl.Fails("delete --raw /api/v1/namespaces/cascade/configmaps/none?propagationPolicy=Sideways"));
    }

    [Fact]
    public void EveryWriteRecordsItsManagerInManagedFields()
    {
        Namespace("managed");
        _kubectl.Ok("create configmap m -n managed --from-literal=a=1");
        _kubectl.Ok("label cm m -n managed team=blue");
        _kubectl.OkArgs("patch", "cm", "m", "-n", "managed", "-p", """{"data":{"b":"2"}}""");
        var entries = Json("get cm m -n managed --show-managed-fields")["metadata"]!["managedFields"]!.AsArray();
        Assert.Equal(["kubectl-create", "kubectl-label", "kubectl-patch"], entries.Select(e => (string)e!["manager"]!));
        Assert.All(entries, e => Assert.Equal("Update", (string)e!["operation"]!));
        Assert.Equal("""{"f:data":{".":{},"f:a":{}}}""", entries[0]!["fieldsV1"]!.ToJsonString());
        Assert.Equal("""{"f:metadata":{"f:labels":{".":{},"f:team":{}}}}""", entries[1]!["fieldsV1"]!.ToJsonString());
        Assert.Equal("""{"f:data":{"f:b":{}}}""", entries[2]!["fieldsV1"]!.ToJsonString());
    }
}

public sealed class LifecycleMemberTests(MemberFixture member) : LifecycleKubectlTests(member), IClassFixture<MemberFixture>;

public sealed class LifecycleEtcdTests(EtcdApiServerFixture server) : LifecycleKubectlTests(server), IClassFixture<EtcdApiServerFixture>;
