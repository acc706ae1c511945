using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Tests.Http;

/// <summary>
/// An operator's day with the real kubectl (1.32 through the machine's dispatcher) against a kvstore member
/// serving the facade: get/create/apply/delete/-w/-o, errors as kube-apiserver words them.
/// </summary>
public sealed class KubectlTests(MemberFixture member) : IClassFixture<MemberFixture>, IDisposable
{
    private readonly Kubectl _kubectl = new(member.Url);

    public void Dispose() => _kubectl.Dispose();

    private void Namespace(string name) => _kubectl.Ok("apply -f -", $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");

    [Fact]
    public void StandingNamespacesAndTheKubernetesService()
    {
        var namespaces = _kubectl.Ok("get ns");
        foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            Assert.Matches($"(?m)^{name} +Active +", namespaces);
        }
        Assert.Matches(@"(?m)^kubernetes +ClusterIP +10\.96\.0\.1 +<none> +443/TCP", _kubectl.Ok("get svc -n default"));
    }

    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: apply-flow
          labels: {app: web}
        spec:
          replicas: REPLICAS
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: nginx
                image: nginx:1.25
                ports:
                - containerPort: 80
              - name: sidecar
                image: busybox:1.36
        """;

    [Fact]
    public void ApplyCreatesThenConfiguresThenIsUnchangedAndDeleteRemoves()
    {
        Namespace("apply-flow");
        Assert.Contains("deployment.apps/web created", _kubectl.Ok("apply -f -", Deployment.Replace("REPLICAS", "2")));
        Assert.Contains("deployment.apps/web unchanged", _kubectl.Ok("apply -f -", Deployment.Replace("REPLICAS", "2")));
        Assert.Contains("deployment.apps/web configured", _kubectl.Ok("apply -f -", Deployment.Replace("REPLICAS", "3")));
        Assert.Contains("deployment.apps/web unchanged", _kubectl.Ok("apply -f -", Deployment.Replace("REPLICAS", "3")));

        var obj = JsonNode.Parse(_kubectl.Ok("get deploy web -n apply-flow -o json"))!;
        Assert.Equal(3, (int)obj["spec"]!["replicas"]!);
        Assert.Equal(2, (long)obj["metadata"]!["generation"]!); // bumped once, by the one spec change
        Assert.Equal(["nginx", "sidecar"], obj["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Matches(@"(?m)^web +0/3 +0 +0 +\d+s +nginx,sidecar +nginx:1\.25,busybox:1\.36 +app=web", _kubectl.Ok("get deploy -n apply-flow -o wide"));

        Assert.Contains("deployment.apps \"web\" deleted", _kubectl.Ok("delete -f -", Deployment.Replace("REPLICAS", "3")));
        Assert.Contains("Error from server (NotFound): deployments.apps \"web\" not found", _kubectl.Fails("get deploy web -n apply-flow"));
    }

    [Fact]
    public void ListsAcrossNamespacesWithWideColumnsLabelsAndSelectors()
    {
        Namespace("lists-a");
        Namespace("lists-b");
        _kubectl.Ok("create -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: db, namespace: lists-a, labels: {tier: db, env: prod}}
            spec:
              nodeName: node-1
              containers: [{name: pg, image: postgres:16}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: lists-b, labels: {tier: web, env: dev}}
            spec:
              containers: [{name: nginx, image: nginx}]
            """);
        var wide = _kubectl.Ok("get pod -A -o wide");
        Assert.Matches(@"(?m)^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$", wide);
        Assert.Matches(@"(?m)^lists-a +db +0/1 +Pending +0 +\d+s +<none> +node-1 +<none> +<none>$", wide);
        Assert.Matches(@"(?m)^lists-b +web +0/1 +Pending +0 ", wide);
        Assert.Matches(@"(?m)^db +0/1 +Pending +0 +\d+s +env=prod,tier=db$", _kubectl.Ok("get pod -n lists-a --show-labels"));

        var (code, selected, error) = _kubectl.Run(["get", "pod", "-A", "-l", "env!=prod,tier in (web,cache)"]);
        Assert.True(code == 0, error);
        Assert.Contains("web", selected);
        Assert.DoesNotContain("db ", selected);
        Assert.Contains("db", _kubectl.Ok("get pod -A --field-selector spec.nodeName=node-1"));
        Assert.DoesNotContain("web", _kubectl.Ok("get pod -A --field-selector spec.nodeName=node-1"));
        Assert.Contains("No resources found", _kubectl.Run("get pod -n lists-a -l tier=none").Err);
        Assert.Equal("db web", _kubectl.Ok("get pod -A -o jsonpath={.items[*].metadata.name}"));
        Assert.Contains("kind: Pod", _kubectl.Ok("get pod db -n lists-a -o yaml"));
    }

    [Fact]
    public void ErrorsReadAsKubeApiserverWordsThem()
    {
        Namespace("errors");
        Assert.Contains("Error from server (NotFound): pods \"nope\" not found", _kubectl.Fails("get pod nope -n errors"));
        Assert.Contains("Error from server (NotFound): namespaces \"no-such-ns\" not found", _kubectl.Fails("get pod nope -n no-such-ns"));
        const string cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: errors}\ndata: {a: \"1\"}\n";
        _kubectl.Ok("create -f -", cm);
        Assert.Contains("Error from server (AlreadyExists): error when creating \"STDIN\": configmaps \"cfg\" already exists", _kubectl.Fails("create -f -", cm));
        Assert.Contains("namespaces \"ghost\" not found", _kubectl.Fails("create -f -", cm.Replace("namespace: errors", "namespace: ghost")));
        Assert.Contains("strict decoding error: unknown field \"spec.bogus\"",
            _kubectl.Fails("create -f -", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: errors}\nspec: {bogus: 1, ports: [{port: 80}]}\n"));

        // a stale update: replace with the resourceVersion read before someone else's change
        var stale = _kubectl.Ok("get cm cfg -n errors -o yaml");
        _kubectl.Ok("patch cm cfg -n errors -p {\"data\":{\"a\":\"2\"}}");
        Assert.Contains("Error from server (Conflict): error when replacing \"STDIN\": Operation cannot be fulfilled on configmaps \"cfg\": the object has been modified; please apply your changes to the latest version and try again",
            _kubectl.Fails("replace -f -", stale));
        Assert.Contains("The Pod \"Bad_Name\" is invalid",
            _kubectl.Fails("create -f -", "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name, namespace: errors}\nspec: {containers: [{name: c, image: x}]}\n"));
    }

    [Fact]
    public void LogsExecAndTopSayThereIsNoKubeletOrMetrics()
    {
        Namespace("nokubelet");
        _kubectl.Ok("create -f -", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: nokubelet}\nspec: {containers: [{name: c, image: busybox}]}\n");
        Assert.Contains("Error from server (BadRequest): no kubelet", _kubectl.Fails("logs p -n nokubelet"));
        Assert.Contains("no kubelet", _kubectl.Fails("exec p -n nokubelet -- ls"));
        Assert.Contains("error: Metrics API not available", _kubectl.Fails("top pod -n nokubelet"));
    }

    [Fact]
    public void WatchPrintsChangesAsTheyHappen()
    {
        Namespace("watching");
        _kubectl.Ok("create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before, namespace: watching}\ndata: {a: \"1\"}\n");
        using var watch = _kubectl.Start("get cm -n watching -w");
        Assert.True(watch.WaitFor("before", TimeSpan.FromSeconds(60)), watch.Output);
        _kubectl.Ok("create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after, namespace: watching}\ndata: {a: \"1\", b: \"2\"}\n");
        Assert.True(watch.WaitFor("after", TimeSpan.FromSeconds(60)), watch.Output);
        Assert.Matches(@"(?m)^after +2 +\d+s$", watch.Output);
        _kubectl.Ok("patch cm before -n watching -p {\"data\":{\"c\":\"3\"}}");
        Assert.True(watch.WaitFor("before   2", TimeSpan.FromSeconds(60)), watch.Output);
    }

    [Fact]
    public void CoreDnsConfigMapRoundTripsAndIsStoredUnderRegistry()
    {
        const string corefile = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: coredns
              namespace: kube-system
            data:
              Corefile: |
                .:53 {
                    errors
                    health {
                       lameduck 5s
                    }
                    kubernetes cluster.local in-addr.arpa ip6.arpa {
                       pods insecure
                       fallthrough in-addr.arpa ip6.arpa
                    }
                    forward . /etc/resolv.conf
                    cache 30
                }
            """;
        _kubectl.Ok("apply -f -", corefile);
        var data = JsonNode.Parse(_kubectl.Ok("get cm coredns -n kube-system -o json"))!["data"]!["Corefile"]!.GetValue<string>();
        Assert.StartsWith(".:53 {\n    errors\n", data);
        Assert.Contains("forward . /etc/resolv.conf\n", data);

        var (code, keys, error) = ChildProcess.Run("etcdctl", ["--endpoints", member.ClientUrl, "get", "--prefix", "/registry/configmaps/kube-system/", "--keys-only"],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.True(code == 0, error);
        Assert.Contains("/registry/configmaps/kube-system/coredns", keys);
    }

    [Fact]
    public void ServicesGetDistinctClusterIpsAndARequestedTakenOneIsRefused()
    {
        Namespace("svcs");
        _kubectl.Ok("create -f -", """
            apiVersion: v1
            kind: Service
            metadata: {name: a, namespace: svcs}
            spec: {selector: {app: a}, ports: [{port: 80, targetPort: 8080}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: b, namespace: svcs}
            spec: {clusterIP: 10.96.0.10, ports: [{port: 53, protocol: UDP}]}
            """);
        var a = _kubectl.Ok("get svc a -n svcs -o jsonpath={.spec.clusterIP}");
        Assert.StartsWith("10.96.0.", a);
        Assert.NotEqual("10.96.0.10", a);
        Assert.NotEqual("10.96.0.1", a);
        Assert.Matches(@"(?m)^b +ClusterIP +10\.96\.0\.10 +<none> +53/UDP", _kubectl.Ok("get svc -n svcs"));
        Assert.Contains("provided IP is already allocated",
            _kubectl.Fails("create -f -", "apiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: svcs}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 1}]}\n"));
        _kubectl.Ok("delete svc b -n svcs");
        _kubectl.Ok("create -f -", "apiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: svcs}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 1}]}\n");
    }

    [Fact]
    public void DeletingANamespaceDeletesWhatIsInIt()
    {
        Namespace("doomed");
        _kubectl.Ok("create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: doomed}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: doomed}\nspec: {ports: [{port: 80}]}\n");
        Assert.Contains("namespace \"doomed\" deleted", _kubectl.Ok("delete ns doomed"));
        Assert.DoesNotContain("doomed", _kubectl.Ok("get cm -A") + _kubectl.Ok("get svc -A"));
        Assert.Contains("namespaces \"default\" is forbidden: this namespace may not be deleted", _kubectl.Fails("delete ns default"));
    }

    [Fact]
    public void ScaleAndServerSideApply()
    {
        Namespace("scaling");
        _kubectl.Ok("apply -f -", Deployment.Replace("REPLICAS", "1").Replace("apply-flow", "scaling"));
        Assert.Contains("deployment.apps/web scaled", _kubectl.Ok("scale deploy web -n scaling --replicas=4"));
        Assert.Equal("4", _kubectl.Ok("get deploy web -n scaling -o jsonpath={.spec.replicas}"));

        const string applied = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: scaling}\ndata: {x: \"1\"}\n";
        Assert.Contains("configmap/ssa serverside-applied", _kubectl.Ok("apply --server-side -f -", applied));
        Assert.Contains("configmap/ssa serverside-applied", _kubectl.Ok("apply --server-side -f -", applied.Replace("\"1\"", "\"2\"")));
        Assert.Equal("2", _kubectl.Ok("get cm ssa -n scaling -o jsonpath={.data.x}"));
    }

    [Fact]
    public void GeneratorCommandsSendingProtobufWork()
    {
        Assert.Contains("namespace/gen created", _kubectl.Ok("create namespace gen"));
        Assert.Contains("configmap/c created", _kubectl.Ok("create configmap c -n gen --from-literal=a=1 --from-literal=b=2"));
        Assert.Contains("secret/s created", _kubectl.Ok("create secret generic s -n gen --from-literal=p=secret"));
        Assert.Contains("pod/p created", _kubectl.Ok("run p --image=nginx -n gen -l app=p"));
        Assert.Equal("12", _kubectl.Ok("get cm c -n gen -o jsonpath={.data.a}{.data.b}"));
        Assert.Equal("c2VjcmV0", _kubectl.Ok("get secret s -n gen -o jsonpath={.data.p}"));
        Assert.Contains("deployment.apps/d created", _kubectl.Ok("create deployment d --image=nginx -n gen"));
    }
}
