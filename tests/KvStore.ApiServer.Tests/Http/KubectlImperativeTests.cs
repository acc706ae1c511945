namespace KvStore.ApiServer.Tests.Http;

/// <summary>
/// The imperative kubectl commands of a Kubernetes tutorial (kubectl 1.32: `create` generators send protobuf),
/// against a kvstore member: the new kinds' creates, printer columns, defaults and validation errors as
/// kube-apiserver gives them, and expose, scale, set image, label, annotate, patch and diff.
/// </summary>
public sealed class KubectlImperativeTests(MemberFixture member) : IClassFixture<MemberFixture>, IDisposable
{
    private readonly Kubectl _kubectl = new(member.Url);

    public void Dispose() => _kubectl.Dispose();

    [Fact]
    public void CreateGeneratorsForEveryKindAndKubesColumns()
    {
        _kubectl.Ok("create namespace tut");
        foreach (var (command, said) in new[]
        {
            ("create deployment web --image=nginx:1.27 --replicas=2 --port=80", "deployment.apps/web created"),
            ("create service clusterip front --tcp=80:8080", "service/front created"),
            ("create job hello --image=busybox -- echo hi", "job.batch/hello created"),
            ("create cronjob tick --image=busybox --schedule=*/5_*_*_*_* -- date", "cronjob.batch/tick created"),
            ("create role reader --verb=get,list --resource=pods", "role.rbac.authorization.k8s.io/reader created"),
            ("create rolebinding rb --role=reader --user=alice --serviceaccount=tut:bot", "rolebinding.rbac.authorization.k8s.io/rb created"),
            ("create pdb budget --selector=app=web --min-available=50%", "poddisruptionbudget.policy/budget created"),
            ("create quota q --hard=cpu=1,memory=1Gi,pods=10", "resourcequota/q created"),
            ("create configmap cm --from-literal=a=1", "configmap/cm created"),
            ("create secret generic s --from-literal=k=v", "secret/s created"),
        })
        {
            Assert.Contains(said, _kubectl.OkArgs(["-n", "tut", .. command.Split(' ').Select(a => a.Replace('_', ' '))]));
        }
        Assert.Contains("clusterrole.rbac.authorization.k8s.io/node-reader created", _kubectl.Ok("create clusterrole node-reader --verb=get --resource=nodes"));
        Assert.Contains("clusterrolebinding.rbac.authorization.k8s.io/ops created", _kubectl.Ok("create clusterrolebinding ops --clusterrole=node-reader --group=ops"));

        var wide = _kubectl.Ok("get job,cronjob,rolebinding,pdb -n tut -o wide");
        Assert.Matches(@"(?m)^job\.batch/hello +Running +0/1 +\d+s +hello +busybox +batch\.kubernetes\.io/controller-uid=[0-9a-f-]+$", wide);
        Assert.Matches(@"(?m)^cronjob\.batch/tick +\*/5 \* \* \* \* +<none> +False +0 +<none> +\d+s +tick +busybox +<none>$", wide);
        Assert.Matches(@"(?m)^rolebinding\.rbac\.authorization\.k8s\.io/rb +Role/reader +\d+s +alice +tut/bot$", wide);
        Assert.Matches(@"(?m)^poddisruptionbudget\.policy/budget +50% +N/A +0 +\d+s$", wide);
        Assert.Matches(@"(?m)^reader +\d{4}-\d\d-\d\dT", _kubectl.Ok("get role -n tut"));
        Assert.Matches(@"(?m)^ops +ClusterRole/node-reader +\d+s +ops", _kubectl.Ok("get clusterrolebinding ops -o wide"));
        Assert.Contains("cronjob.batch/tick", _kubectl.Ok("get all -n tut"));

        // kube's defaulting and the job strategy's generated selector
        Assert.Equal("1 1 6 NonIndexed Never hello",
            _kubectl.Ok("get job hello -n tut -o jsonpath={.spec.completions}_{.spec.parallelism}_{.spec.backoffLimit}_{.spec.completionMode}_{.spec.template.spec.restartPolicy}_{.metadata.labels.job-name}").Replace('_', ' '));
        Assert.Equal("Allow 3 1", _kubectl.Ok("get cronjob tick -n tut -o jsonpath={.spec.concurrencyPolicy}_{.spec.successfulJobsHistoryLimit}_{.spec.failedJobsHistoryLimit}").Replace('_', ' '));
        Assert.Equal("80 8080 TCP", _kubectl.Ok("get svc front -n tut -o jsonpath={.spec.ports[0].port}_{.spec.ports[0].targetPort}_{.spec.ports[0].protocol}").Replace('_', ' '));
    }

    [Fact]
    public void NodePortsAreAllocatedFromTheRange()
    {
        _kubectl.Ok("create namespace np");
        int NodePort(string service) => int.Parse(_kubectl.Ok($"get svc {service} -n np -o jsonpath={{.spec.ports[0].nodePort}}"), System.Globalization.CultureInfo.InvariantCulture);
        bool Held(int port) => Etcdctl.Run(member.ClientUrl, ["get", $"/registry/servicenodeports/{port}", "--keys-only"]).Out.Trim().Length > 0;

        _kubectl.Ok("create service nodeport picked --tcp=80:8080 -n np");
        var picked = NodePort("picked");
        Assert.InRange(picked, 30000, 32767);
        Assert.Matches($@"(?m)^picked +NodePort +10\.96\.0\.\d+ +<none> +80:{picked}/TCP ", _kubectl.Ok("get svc picked -n np"));
        Assert.Contains("service/asked created", _kubectl.Ok("create service nodeport asked --tcp=80:8080 --node-port=31000 -n np"));
        Assert.Equal(31000, NodePort("asked"));
        // kubectl's create service words it so; the Status is kube's Invalid
        Assert.Contains("error: failed to create NodePort service: Service \"taken\" is invalid: spec.ports[0].nodePort: Invalid value: 31000: provided port is already allocated",
            _kubectl.Fails("create service nodeport taken --tcp=80 --node-port=31000 -n np"));
        Assert.Contains("error: failed to create NodePort service: Service \"far\" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767",
            _kubectl.Fails("create service nodeport far --tcp=80 --node-port=40000 -n np"));

        // a LoadBalancer gets one per port (TCP and UDP of one number share it), Local traffic a health check port too
        _kubectl.Ok("apply -f -", """
            apiVersion: v1
            kind: Service
            metadata: {name: balanced, namespace: np}
            spec:
              type: LoadBalancer
              externalTrafficPolicy: Local
              ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}, {name: web, port: 80}]
            """);
        var ports = _kubectl.Ok("get svc balanced -n np -o jsonpath={.spec.ports[*].nodePort}_{.spec.healthCheckNodePort}").Split('_');
        var nodePorts = ports[0].Split(' ').Select(int.Parse).ToList();
        Assert.Equal(nodePorts[0], nodePorts[1]);
        Assert.Equal(4, nodePorts.Append(int.Parse(ports[1])).Append(picked).Distinct().Count());
        Assert.Equal("true", _kubectl.Ok("get svc balanced -n np -o jsonpath={.spec.allocateLoadBalancerNodePorts}")); // kube's default
        // an apply that changes something else keeps them
        _kubectl.Ok("label svc balanced -n np tier=edge");
        Assert.Equal(string.Join('_', ports), _kubectl.Ok("get svc balanced -n np -o jsonpath={.spec.ports[*].nodePort}_{.spec.healthCheckNodePort}"));

        // a NodePort service turned ClusterIP gives its port back; turned NodePort again it gets one
        _kubectl.OkArgs("patch", "svc", "picked", "-n", "np", "-p", "{\"spec\":{\"type\":\"ClusterIP\"}}");
        Assert.Empty(_kubectl.Ok("get svc picked -n np -o jsonpath={.spec.ports[0].nodePort}"));
        Assert.False(Held(picked));
        _kubectl.OkArgs("patch", "svc", "picked", "-n", "np", "-p", "{\"spec\":{\"type\":\"NodePort\"}}");
        Assert.True(Held(NodePort("picked")));
        // deleting a service frees its port for the next one that asks
        _kubectl.Ok("delete svc asked -n np");
        Assert.False(Held(31000));
        Assert.Contains("service/taken created", _kubectl.Ok("create service nodeport taken --tcp=80 --node-port=31000 -n np"));
    }

    [Fact]
    public void ExposeScaleSetImageLabelAnnotatePatchAndDiff()
    {
        _kubectl.Ok("create namespace ops");
        _kubectl.Ok("create deployment web --image=nginx:1.25 --port=80 -n ops");
        Assert.Contains("service/web exposed", _kubectl.Ok("expose deployment web --port=8080 --target-port=80 -n ops"));
        Assert.Equal("app=web 8080 80", _kubectl.Ok("get svc web -n ops -o jsonpath=app={.spec.selector.app}_{.spec.ports[0].port}_{.spec.ports[0].targetPort}").Replace('_', ' '));
        Assert.Contains("deployment.apps/web scaled", _kubectl.Ok("scale deployment web --replicas=3 -n ops"));
        Assert.Contains("deployment.apps/web image updated", _kubectl.Ok("set image deployment/web nginx=nginx:1.27 -n ops"));
        Assert.Contains("deployment.apps/web labeled", _kubectl.Ok("label deployment web tier=front -n ops"));
        Assert.Contains("deployment.apps/web annotated", _kubectl.Ok("annotate deployment web owner=team-a -n ops"));
        Assert.Contains("deployment.apps/web patched", _kubectl.OkArgs("patch", "deployment", "web", "-n", "ops", "-p", """{"spec":{"minReadySeconds":5}}"""));
        Assert.Equal("3 nginx:1.27 front team-a 5",
            _kubectl.Ok("get deploy web -n ops -o jsonpath={.spec.replicas}_{.spec.template.spec.containers[0].image}_{.metadata.labels.tier}_{.metadata.annotations.owner}_{.spec.minReadySeconds}").Replace('_', ' '));

        // diff: a server-side dry run of the changed manifest; exit code 1 and the changed line
        var manifest = _kubectl.Ok("get deploy web -n ops -o yaml").Replace("replicas: 3", "replicas: 7");
        var (code, output, error) = _kubectl.Run("diff -f -", manifest);
        Assert.True(code == 1, error + output);
        Assert.Contains("-  replicas: 3", output);
        Assert.Contains("+  replicas: 7", output);
        Assert.Equal("3", _kubectl.Ok("get deploy web -n ops -o jsonpath={.spec.replicas}"));
        Assert.Equal(0, _kubectl.Run("diff -f -", _kubectl.Ok("get deploy web -n ops -o yaml")).Code);

        // only what changed: the dry run's result keeps no empty metadata maps the patch carried
        _kubectl.Ok("create deployment plain --image=nginx -n ops");
        var (_, plainDiff, _) = _kubectl.Run("diff -f -", _kubectl.Ok("get deploy plain -n ops -o yaml").Replace("replicas: 1", "replicas: 2"));
        Assert.Equal(["-  generation: 1", "+  generation: 2", "-  replicas: 1", "+  replicas: 2"],
            plainDiff.Split('\n').Where(l => l.StartsWith("-  ", StringComparison.Ordinal) || l.StartsWith("+  ", StringComparison.Ordinal)));
    }

    [Fact]
    public void StorageNetworkingAndValidationErrors()
    {
        const string manifests = """
            apiVersion: v1
            kind: PersistentVolume
            metadata: {name: pv-imp}
            spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/pv-imp}}
            ---
            apiVersion: storage.k8s.io/v1
            kind: StorageClass
            metadata: {name: fast-imp, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
            provisioner: example.com/fast
            ---
            apiVersion: networking.k8s.io/v1
            kind: IngressClass
            metadata: {name: nginx-imp}
            spec: {controller: k8s.io/ingress-nginx}
            """;
        _kubectl.Ok("apply -f -", manifests);
        var printed = _kubectl.Ok("get pv pv-imp");
        Assert.Matches(@"(?m)^pv-imp +1Gi +RWO +Retain +Pending +<unset> +\d+s$", printed);
        Assert.Matches(@"(?m)^fast-imp \(default\) +example\.com/fast +Delete +Immediate +false +\d+s$", _kubectl.Ok("get sc fast-imp"));
        Assert.Matches(@"(?m)^nginx-imp +k8s\.io/ingress-nginx +<none> +\d+s$", _kubectl.Ok("get ingressclass nginx-imp"));

        _kubectl.Ok("create namespace bad");
        var job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: bad}\nspec:\n  template:\n    spec:\n      restartPolicy: Always\n      containers: [{name: c, image: busybox}]\n";
        Assert.Contains("The Job \"j\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
            _kubectl.Fails("apply -f -", job));
        var pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c, namespace: bad}\nspec: {}\n";
        Assert.Contains("The PersistentVolumeClaim \"c\" is invalid: \n* spec.accessModes: Required value: at least 1 access mode is required\n* spec.resources[storage]: Required value",
            _kubectl.Fails("apply -f -", pvc));
        Assert.Contains("spec.schedule: Invalid value: \"* *\": expected exactly 5 fields, found 2: * *",
            _kubectl.FailsWithInput(null, "create", "cronjob", "c", "-n", "bad", "--image=busybox", "--schedule=* *"));
        Assert.Contains("The RoleBinding \"rb\" is invalid: roleRef.kind: Unsupported value: \"Foo\": supported values: \"Role\", \"ClusterRole\"",
            _kubectl.Fails("apply -f -", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: bad}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Foo, name: x}\n"));
    }
}
