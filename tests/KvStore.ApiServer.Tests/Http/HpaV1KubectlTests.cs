namespace KvStore.ApiServer.Tests.Http;

/// <summary>
/// autoscaling/v1 HorizontalPodAutoscaler (what kubectl 1.32's `autoscale` writes) over the objects stored as autoscaling/v2:
/// kube's conversion both ways, its defaults (minReplicas 1, cpu 80%), validation and printer columns.
/// </summary>
public sealed class HpaV1KubectlTests(MemberFixture member) : IClassFixture<MemberFixture>, IDisposable
{
    private readonly Kubectl _kubectl = new(member.Url);

    public void Dispose() => _kubectl.Dispose();

    [Fact]
    public void AutoscaleWritesV1AndBothVersionsReadIt()
    {
        _kubectl.Ok("create namespace scaling");
        _kubectl.Ok("create deployment web --image=nginx -n scaling");
        Assert.Contains("horizontalpodautoscaler.autoscaling/web autoscaled",
            _kubectl.Ok("autoscale deployment web --min=2 --max=5 --cpu-percent=60 -n scaling"));
        Assert.Contains("horizontalpodautoscaler.autoscaling/plain autoscaled",
            _kubectl.Ok("autoscale deployment web --name=plain --max=3 -n scaling"));

        Assert.Matches(@"(?m)^web +Deployment/web +cpu: <unknown>/60% +2 +5 +0 +\d+s$", _kubectl.Ok("get hpa -n scaling"));
        Assert.Equal("autoscaling/v1 60 2 5 Deployment",
            _kubectl.Ok("get horizontalpodautoscalers.v1.autoscaling web -n scaling -o jsonpath={.apiVersion}_{.spec.targetCPUUtilizationPercentage}_{.spec.minReplicas}_{.spec.maxReplicas}_{.spec.scaleTargetRef.kind}").Replace('_', ' '));
        Assert.Equal("autoscaling/v2 Resource cpu Utilization 60",
            _kubectl.Ok("get horizontalpodautoscalers.v2.autoscaling web -n scaling -o jsonpath={.apiVersion}_{.spec.metrics[0].type}_{.spec.metrics[0].resource.name}_{.spec.metrics[0].resource.target.type}_{.spec.metrics[0].resource.target.averageUtilization}").Replace('_', ' '));
        // stored as autoscaling/v2, as kube-apiserver stores it
        Assert.Contains("\"apiVersion\":\"autoscaling/v2\"", Etcdctl.Run(member.ClientUrl, ["get", "/registry/horizontalpodautoscalers/scaling/web", "--print-value-only"]).Out);
        // kube's defaults: minReplicas 1 and a cpu target of 80%
        Assert.Equal("1 80", _kubectl.Ok("get horizontalpodautoscalers.v1.autoscaling plain -n scaling -o jsonpath={.spec.minReplicas}_{.spec.targetCPUUtilizationPercentage}").Replace('_', ' '));

        // a v1 write keeps what v1 cannot show (a second metric written through v2)
        _kubectl.OkArgs("patch", "horizontalpodautoscalers.v2.autoscaling", "web", "-n", "scaling", "--type=json", "-p",
            """[{"op":"add","path":"/spec/metrics/-","value":{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}}}]""");
        _kubectl.OkArgs("patch", "horizontalpodautoscalers.v1.autoscaling", "web", "-n", "scaling", "--type=merge", "-p", """{"spec":{"targetCPUUtilizationPercentage":70}}""");
        Assert.Equal("70 memory",
            _kubectl.Ok("get horizontalpodautoscalers.v2.autoscaling web -n scaling -o jsonpath={.spec.metrics[0].resource.target.averageUtilization}_{.spec.metrics[1].resource.name}").Replace('_', ' '));
        Assert.Matches(@"(?m)^web +Deployment/web +cpu: <unknown>/70%, memory: <unknown>/100Mi +2 +5 +0 +\d+s$", _kubectl.Ok("get hpa web -n scaling"));

        // the status an HPA controller writes through v2 reads back at v1
        _kubectl.OkArgs("patch", "horizontalpodautoscalers.v2.autoscaling", "web", "-n", "scaling", "--subresource=status", "--type=merge", "-p",
            """{"status":{"currentReplicas":2,"desiredReplicas":2,"currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":40}}}]}}""");
        Assert.Equal("40 2", _kubectl.Ok("get horizontalpodautoscalers.v1.autoscaling web -n scaling -o jsonpath={.status.currentCPUUtilizationPercentage}_{.status.desiredReplicas}").Replace('_', ' '));
        Assert.Matches(@"(?m)^web +Deployment/web +cpu: 40%/70%, memory: <unknown>/100Mi +2 +5 +2 +\d+s$", _kubectl.Ok("get hpa web -n scaling"));

        // a v1 manifest: kubectl validates it against the v1 OpenAPI and the server decodes it strictly
        const string manifest = """
            apiVersion: autoscaling/v1
            kind: HorizontalPodAutoscaler
            metadata: {name: applied, namespace: scaling}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
              maxReplicas: 4
              targetCPUUtilizationPercentage: 50
            """;
        Assert.Contains("horizontalpodautoscaler.autoscaling/applied created", _kubectl.Ok("apply -f -", manifest));
        Assert.Contains("horizontalpodautoscaler.autoscaling/applied unchanged", _kubectl.Ok("apply -f -", manifest));
        Assert.Contains("unknown field \"spec.targetCPU\"", _kubectl.Fails("apply -f -", manifest.Replace("targetCPUUtilizationPercentage", "targetCPU", StringComparison.Ordinal)));
        Assert.Contains("targetCPUUtilizationPercentage\t<integer>", _kubectl.Ok("explain hpa.spec --api-version=autoscaling/v1"));

        Assert.Contains("The HorizontalPodAutoscaler \"zero\" is invalid: spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
            _kubectl.Fails("autoscale deployment web --name=zero --max=3 --cpu-percent=0 -n scaling"));
        Assert.Contains("hpa", _kubectl.Ok("api-resources --api-group=autoscaling"));
    }
}
