using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Tests.Http;

/// <summary>
/// `kvstore apiserver --etcd-servers ...` against the real etcd 3.4, and the in-process facade keeping its objects
/// across a member restart.
/// </summary>
public sealed class StandaloneApiServerTests
{
    [Theory]
    [InlineData("--log-level", "loud", "unknown log level \"loud\" (--log-level supports debug, info, warn, error, panic, or fatal)")]
    [InlineData("--event-ttl", "soon", "--event-ttl")]
    [InlineData("--service-node-port-range", "30000-x", "invalid argument \"30000-x\" for \"--service-node-port-range\" flag: strconv.Atoi: parsing \"x\": invalid syntax")]
    [InlineData("--service-node-port-range", "32767-30000", "invalid argument \"32767-30000\" for \"--service-node-port-range\" flag: end port cannot be less than start port: 32767-30000")]
    public void BadFlagsAreRefusedBeforeAnythingStarts(string flag, string value, string message)
    {
        var (code, _, error) = ChildProcess.Run(Binaries.DotnetHost(),
            [Binaries.KvStoreDll, "apiserver", "--etcd-servers", "http://127.0.0.1:1", flag, value]);
        Assert.Equal(2, code);
        Assert.Contains("kvstore apiserver: " + message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ServesKubectlOverRealEtcdAndKeepsObjectsAcrossAnApiserverRestart()
    {
        using var etcd = SingleMember.StartEtcd();
        var port = Ports.Free();
        using (var apiserver = ApiServerProcess.StartStandalone(etcd.ClientUrl, port, "--event-ttl", "30m", "--service-node-port-range", "30100+99"))
        using (var kubectl = new Kubectl(apiserver.Url))
        {
            Assert.Matches(@"(?m)^kubernetes +ClusterIP +10\.96\.0\.1 ", kubectl.Ok("get svc"));
            kubectl.Ok("apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept, namespace: default}\ndata: {a: \"1\"}\n");
            kubectl.Ok("create -f -", """
                apiVersion: v1
                kind: Event
                metadata: {name: ev1, namespace: default}
                involvedObject: {kind: ConfigMap, name: kept, namespace: default}
                reason: Tested
                message: hello
                type: Normal
                """);
            Assert.Contains("Tested", kubectl.Ok("get event"));
            // protobuf bodies from kubectl's generators; the store keeps JSON for etcdctl and the facade alike
            Assert.Contains("deployment.apps/pb created", kubectl.Ok("create deployment pb --image=nginx --replicas=0"));
            Assert.Contains("job.batch/pbjob created", kubectl.Ok("create job pbjob --image=busybox"));
            Assert.Matches(@"(?m)^pbjob +Running +0/1 ", kubectl.Ok("get job pbjob"));
            kubectl.Ok("create service nodeport np --tcp=80");
            Assert.InRange(int.Parse(kubectl.Ok("get svc np -o jsonpath={.spec.ports[0].nodePort}"), System.Globalization.CultureInfo.InvariantCulture), 30100, 30199);
            Assert.Contains("provided port is not in the valid range. The range of valid ports is 30100-30199", kubectl.Fails("create service nodeport far --tcp=80 --node-port=30000"));
            kubectl.Ok("delete svc np");
        }
        var (stored, storedJson, storedError) = ChildProcess.Run("etcdctl", ["--endpoints", etcd.ClientUrl, "get", "/registry/deployments/default/pb", "--print-value-only"],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.True(stored == 0, storedError);
        Assert.Equal(0, (int)JsonNode.Parse(storedJson)!["spec"]!["replicas"]!); // a pointer field set to zero survives protobuf
        // the event key carries a lease with the event TTL (etcd's own view)
        var (code, json, error) = ChildProcess.Run("etcdctl", ["--endpoints", etcd.ClientUrl, "get", "/registry/events/default/ev1", "-w", "json"],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.True(code == 0, error);
        var lease = JsonNode.Parse(json)!["kvs"]![0]!["lease"]!.GetValue<long>();
        Assert.NotEqual(0, lease);

        using (var again = ApiServerProcess.StartStandalone(etcd.ClientUrl))
        using (var kubectl = new Kubectl(again.Url))
        {
            Assert.Equal("1", kubectl.Ok("get cm kept -o jsonpath={.data.a}"));
            Assert.Single(kubectl.Ok("get svc -A").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)); // one kubernetes service, not two
        }
    }

    [Fact]
    public void MemberRestartKeepsTheFacadesObjects()
    {
        var dir = Directory.CreateTempSubdirectory("apiserver-restart-").FullName;
        try
        {
            int client = Ports.Free(), peer = Ports.Free(), api = Ports.Free();
            using (var member = ApiServerProcess.StartMember(Path.Combine(dir, "data"), client, peer, api))
            using (var kubectl = new Kubectl(member.Url))
            {
                kubectl.Ok("apply -f -", "apiVersion: v1\nkind: Namespace\nmetadata: {name: durable}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: durable}\nstringData: {k: v}\n");
            }
            using (var member = ApiServerProcess.StartMember(Path.Combine(dir, "data"), client, peer, api))
            using (var kubectl = new Kubectl(member.Url))
            {
                Assert.Matches(@"(?m)^s +Opaque +1 +", kubectl.Ok("get secret -n durable"));
                Assert.Equal("dg==", kubectl.Ok("get secret s -n durable -o jsonpath={.data.k}")); // stringData stored as data
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
