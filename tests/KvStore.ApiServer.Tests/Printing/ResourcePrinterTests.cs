using static KvStore.ApiServer.Tests.Printing.TableTestKit;

namespace KvStore.ApiServer.Tests.Printing;

/// <summary>The cells of every other resource's printer for objects as a cluster holds them.</summary>
public sealed class ResourcePrinterTests
{
    private static readonly string Created = Ago(TimeSpan.FromHours(3) + TimeSpan.FromMinutes(2));

    private static string Meta(string name, string extra = "") =>
        $$$$"""{"name":"{{{{name}}}}","namespace":"default","creationTimestamp":"{{{{Created}}}}"{{{{extra}}}}}""";

    [Fact]
    public void ClusterIPServiceWithSelector()
    {
        var row = Row("", "services", $$$$"""
            {"apiVersion":"v1","kind":"Service","metadata":{{{{Meta("web")}}}},
             "spec":{"type":"ClusterIP","clusterIP":"10.96.12.7","clusterIPs":["10.96.12.7"],
                     "selector":{"tier":"front","app":"web"},
                     "ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"},{"name":"dns","port":53,"protocol":"UDP"}]}}
            """);
        Assert.Equal(["web", "ClusterIP", "10.96.12.7", "<none>", "80/TCP,53/UDP", "3h2m", "app=web,tier=front"], row);
    }

    [Fact]
    public void KubernetesServiceAsCreatedAtStart()
    {
        // what `kubectl get svc` shows on a fresh cluster
        var row = Row("", "services", $$$$"""
            {"metadata":{{{{Meta("kubernetes")}}}},
             "spec":{"clusterIP":"10.96.0.1","ports":[{"name":"https","port":443,"targetPort":6443}]}}
            """);
        Assert.Equal(["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "3h2m", "<none>"], row);
    }

    [Fact]
    public void NodePortLoadBalancerExternalNameAndHeadlessServices()
    {
        var nodePort = Row("", "services", $$$$"""
            {"metadata":{{{{Meta("np")}}}},"spec":{"type":"NodePort","clusterIPs":["10.96.0.20"],"externalIPs":["1.2.3.4"],
             "ports":[{"port":80,"nodePort":30080,"protocol":"TCP"}]}}
            """);
        Assert.Equal(["np", "NodePort", "10.96.0.20", "1.2.3.4", "80:30080/TCP"], nodePort[..5]);

        var pending = Row("", "services", $$$$"""
            {"metadata":{{{{Meta("lb")}}}},"spec":{"type":"LoadBalancer","clusterIPs":["10.96.0.21"],"ports":[{"port":443,"nodePort":31443,"protocol":"TCP"}]}}
            """);
        Assert.Equal(["lb", "LoadBalancer", "10.96.0.21", "<pending>", "443:31443/TCP"], pending[..5]);

        var assigned = Row("", "services", $$$$"""
            {"metadata":{{{{Meta("lb")}}}},"spec":{"type":"LoadBalancer","clusterIPs":["10.96.0.21"],"ports":[]},
             "status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.9"},{"hostname":"lb.example.com"},{"ip":"203.0.113.9"}]}}}
            """);
        // the wide form (kube-apiserver always generates the wide row): no 16-character clipping
        Assert.Equal(["lb", "LoadBalancer", "10.96.0.21", "203.0.113.9,lb.example.com", "<none>"], assigned[..5]);

        var external = Row("", "services", $$$$"""
            {"metadata":{{{{Meta("db")}}}},"spec":{"type":"ExternalName","externalName":"db.example.com"}}
            """);
        Assert.Equal(["db", "ExternalName", "<none>", "db.example.com", "<none>"], external[..5]);

        var headless = Row("", "services", $$$$"""
            {"metadata":{{{{Meta("h")}}}},"spec":{"clusterIP":"None","clusterIPs":["None"],"ports":[{"port":5432}]}}
            """);
        Assert.Equal(["h", "ClusterIP", "None", "<none>", "5432/TCP"], headless[..5]);
    }

    [Fact]
    public void DeploymentCells()
    {
        var cells = Cells(Table("apps", "deployments", $$$$"""
            {"metadata":{{{{Meta("web")}}}},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
                     "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"},{"name":"sidecar","image":"busybox"}]}}},
             "status":{"replicas":3,"updatedReplicas":3,"readyReplicas":2,"availableReplicas":2}}
            """));
        Assert.Equal("web", (string)cells["Name"]!);
        Assert.Equal("2/3", (string)cells["Ready"]!);
        Assert.Equal(3, (long)cells["Up-to-date"]!);
        Assert.Equal(2, (long)cells["Available"]!);
        Assert.Equal("3h2m", (string)cells["Age"]!);
        Assert.Equal("nginx,sidecar", (string)cells["Containers"]!);
        Assert.Equal("nginx:1.27,busybox", (string)cells["Images"]!);
        Assert.Equal("app=web", (string)cells["Selector"]!);

        // a fresh deployment without status, replicas defaulted
        Assert.Equal(["fresh", "0/1", "0", "0"], Row("apps", "deployments", $$$$"""
            {"metadata":{{{{Meta("fresh")}}}},"spec":{"selector":{"matchLabels":{"app":"f"}},"template":{"spec":{"containers":[{"name":"c","image":"i"}]} } } }
            """)[..4]);
    }

    [Fact]
    public void ReplicaSetStatefulSetAndDaemonSetCells()
    {
        var rs = Row("apps", "replicasets", $$$$"""
            {"metadata":{{{{Meta("web-5d4f8c7b9")}}}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web","pod-template-hash":"5d4f8c7b9"}},
                     "template":{"spec":{"containers":[{"name":"nginx","image":"nginx"}]}}},
             "status":{"replicas":2,"readyReplicas":1}}
            """);
        Assert.Equal(["web-5d4f8c7b9", "2", "2", "1", "3h2m", "nginx", "nginx", "app=web,pod-template-hash=5d4f8c7b9"], rs);

        var sts = Row("apps", "statefulsets", $$$$"""
            {"metadata":{{{{Meta("db")}}}},"spec":{"replicas":3,"serviceName":"db","selector":{"matchLabels":{"app":"db"}},
             "template":{"spec":{"containers":[{"name":"pg","image":"postgres:16"}]}}},"status":{"replicas":3,"readyReplicas":3}}
            """);
        Assert.Equal(["db", "3/3", "3h2m", "pg", "postgres:16"], sts);

        var ds = Row("apps", "daemonsets", $$$$"""
            {"metadata":{{{{Meta("fluentd")}}}},"spec":{"selector":{"matchLabels":{"name":"fluentd"}},
             "template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"},"containers":[{"name":"fluentd","image":"fluentd:v1"}]}}},
             "status":{"desiredNumberScheduled":3,"currentNumberScheduled":3,"numberReady":2,"updatedNumberScheduled":3,"numberAvailable":2}}
            """);
        Assert.Equal(["fluentd", "3", "3", "2", "3", "2", "kubernetes.io/os=linux", "3h2m", "fluentd", "fluentd:v1", "name=fluentd"], ds);
        Assert.Equal("<none>", Row("apps", "daemonsets", $$$$"""{"metadata":{{{{Meta("x")}}}}}""")[6]);
    }

    [Fact]
    public void NodeCells()
    {
        var row = Row("", "nodes", $$$$"""
            {"metadata":{"name":"cp-1","creationTimestamp":"{{{{Ago(TimeSpan.FromDays(3) + TimeSpan.FromHours(4))}}}}",
                         "labels":{"node-role.kubernetes.io/control-plane":"","node-role.kubernetes.io/etcd":"","kubernetes.io/role":"master"}},
             "spec":{"unschedulable":true},
             "status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],
                       "addresses":[{"type":"Hostname","address":"cp-1"},{"type":"InternalIP","address":"192.168.1.10"}],
                       "nodeInfo":{"kubeletVersion":"v1.32.1","osImage":"Ubuntu 24.04 LTS","kernelVersion":"6.8.0-45-generic","containerRuntimeVersion":"containerd://1.7.22"}}}
            """);
        Assert.Equal(
            ["cp-1", "Ready,SchedulingDisabled", "control-plane,etcd,master", "3d4h", "v1.32.1", "192.168.1.10", "<none>",
             "Ubuntu 24.04 LTS", "6.8.0-45-generic", "containerd://1.7.22"],
            row);

        var bare = Row("", "nodes", """{"metadata":{"name":"n"},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}}""");
        Assert.Equal(["n", "NotReady", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"], bare);
        Assert.Equal("Unknown", Row("", "nodes", """{"metadata":{"name":"n"}}""")[1]);
    }

    [Fact]
    public void EventCells()
    {
        var row = Row("", "events", $$$$"""
            {"metadata":{"name":"web-0.17f3a","namespace":"default","creationTimestamp":"{{{{Ago(TimeSpan.FromMinutes(10))}}}}"},
             "involvedObject":{"kind":"Pod","namespace":"default","name":"web-0","fieldPath":"spec.containers{app}"},
             "reason":"BackOff","message":"Back-off restarting failed container\n","type":"Warning","count":7,
             "firstTimestamp":"{{{{Ago(TimeSpan.FromMinutes(10))}}}}","lastTimestamp":"{{{{Ago(TimeSpan.FromSeconds(45))}}}}",
             "source":{"component":"kubelet","host":"node-1"}}
            """);
        Assert.Equal(
            ["45s", "Warning", "BackOff", "pod/web-0", "spec.containers{app}", "kubelet, node-1",
             "Back-off restarting failed container", "10m", "7", "web-0.17f3a"],
            row);

        // events.k8s.io-style event: eventTime, reporting controller, no count
        var modern = Row("", "events", $$$$"""
            {"metadata":{"name":"e"},"involvedObject":{"kind":"Node"},"type":"Normal","reason":"Starting","message":"",
             "eventTime":"{{{{Ago(TimeSpan.FromMinutes(4))}}}}","reportingComponent":"kube-proxy","reportingInstance":"","series":null}
            """);
        Assert.Equal(["4m", "Normal", "Starting", "node", "", "kube-proxy", "", "4m", "1", "e"], modern);

        var series = Row("", "events", $$$$"""
            {"metadata":{"name":"s"},"involvedObject":{"kind":"Pod","name":"p"},"count":2,
             "firstTimestamp":"{{{{Ago(TimeSpan.FromHours(2))}}}}","lastTimestamp":"{{{{Ago(TimeSpan.FromHours(1))}}}}",
             "series":{"count":12,"lastObservedTime":"{{{{Ago(TimeSpan.FromSeconds(5))}}}}"}}
            """);
        Assert.Equal(["5s", "12"], [series[0], series[8]]);
    }

    [Fact]
    public void NamespaceConfigMapSecretServiceAccountLeaseCells()
    {
        Assert.Equal(["kube-system", "Active", "3h2m"],
            Row("", "namespaces", $$$$"""{"metadata":{"name":"kube-system","creationTimestamp":"{{{{Created}}}}"},"status":{"phase":"Active"}}"""));
        Assert.Equal(["gone", "Terminating", "3h2m"],
            Row("", "namespaces", $$$$"""{"metadata":{"name":"gone","creationTimestamp":"{{{{Created}}}}"},"status":{"phase":"Terminating"}}"""));

        Assert.Equal(["cfg", "3", "3h2m"],
            Row("", "configmaps", $$$$"""{"metadata":{{{{Meta("cfg")}}}},"data":{"a":"1","b":"2"},"binaryData":{"c":"AAE="}}"""));
        Assert.Equal(["kube-root-ca.crt", "1", "3h2m"],
            Row("", "configmaps", $$$$"""{"metadata":{{{{Meta("kube-root-ca.crt")}}}},"data":{"ca.crt":"..."}}"""));

        Assert.Equal(["tls", "kubernetes.io/tls", "2", "3h2m"],
            Row("", "secrets", $$$$"""{"metadata":{{{{Meta("tls")}}}},"type":"kubernetes.io/tls","data":{"tls.crt":"eA==","tls.key":"eQ=="}}"""));
        Assert.Equal(["plain", "Opaque", "0", "3h2m"], Row("", "secrets", $$$$"""{"metadata":{{{{Meta("plain")}}}}}"""));

        Assert.Equal(["default", "0", "3h2m"], Row("", "serviceaccounts", $$$$"""{"metadata":{{{{Meta("default")}}}}}"""));
        Assert.Equal(["builder", "1", "3h2m"],
            Row("", "serviceaccounts", $$$$"""{"metadata":{{{{Meta("builder")}}}},"secrets":[{"name":"builder-token"}]}"""));

        Assert.Equal(["node-1", "node-1", "3h2m"],
            Row("coordination.k8s.io", "leases", $$$$"""{"metadata":{{{{Meta("node-1")}}}},"spec":{"holderIdentity":"node-1","leaseDurationSeconds":40}}"""));
        Assert.Equal(["free", "", "3h2m"], Row("coordination.k8s.io", "leases", $$$$"""{"metadata":{{{{Meta("free")}}}},"spec":{}}"""));
    }

    [Fact]
    public void EndpointsCells()
    {
        Assert.Equal(["kubernetes", "192.168.1.10:6443", "3h2m"], Row("", "endpoints", $$$$"""
            {"metadata":{{{{Meta("kubernetes")}}}},"subsets":[{"addresses":[{"ip":"192.168.1.10"}],"ports":[{"name":"https","port":6443}]}]}
            """));
        Assert.Equal("10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 3 more...", Row("", "endpoints", $$$$"""
            {"metadata":{{{{Meta("web")}}}},"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"},{"ip":"10.0.0.3"}],
             "ports":[{"name":"http","port":80},{"name":"https","port":443}]}]}
            """)[1]);
        Assert.Equal("10.0.0.1,[fd00::1]:53", Row("", "endpoints", $$$$"""
            {"metadata":{{{{Meta("x")}}}},"subsets":[{"addresses":[{"ip":"10.0.0.1"}]},{"addresses":[{"ip":"fd00::1"}],"ports":[{"port":53}]}]}
            """)[1]);
        Assert.Equal("<none>", Row("", "endpoints", $$$$"""{"metadata":{{{{Meta("empty")}}}}}""")[1]);
    }

    [Fact]
    public void IngressCells()
    {
        var row = Row("networking.k8s.io", "ingresses", $$$$"""
            {"metadata":{{{{Meta("shop")}}}},
             "spec":{"ingressClassName":"nginx","tls":[{"hosts":["shop.example.com"],"secretName":"tls"}],
                     "rules":[{"host":"shop.example.com"},{"host":"api.example.com"},{},{"host":"c.example.com"},{"host":"d.example.com"}]},
             "status":{"loadBalancer":{"ingress":[{"ip":"192.168.49.2"}]}}}
            """);
        Assert.Equal(["shop", "nginx", "shop.example.com,api.example.com,c.example.com + 2 more...", "192.168.49.2", "80, 443", "3h2m"], row);

        Assert.Equal(["plain", "<none>", "*", "", "80", "3h2m"], Row("networking.k8s.io", "ingresses", $$$$"""
            {"metadata":{{{{Meta("plain")}}}},"spec":{"defaultBackend":{"service":{"name":"web","port":{"number":80} } } } }
            """));
    }

    [Fact]
    public void HorizontalPodAutoscalerCells()
    {
        var row = Row("autoscaling", "horizontalpodautoscalers", $$$$"""
            {"metadata":{{{{Meta("web")}}}},
             "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":2,"maxReplicas":10,
                     "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}},
                                {"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"512Mi"}}}]},
             "status":{"currentReplicas":3,"desiredReplicas":3,
                       "currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":41,"averageValue":"205m"}}},
                                         {"type":"Resource","resource":{"name":"memory","current":{"averageValue":"268435456"}}}]}}
            """);
        // the HPA controller writes plain decimal quantities; kube prints them as they are
        Assert.Equal(["web", "Deployment/web", "cpu: 41%/80%, memory: 268435456/512Mi", "2", "10", "3", "3h2m"], row);

        // just created: no status yet, no minReplicas
        var fresh = Row("autoscaling", "horizontalpodautoscalers", $$$$"""
            {"metadata":{{{{Meta("new")}}}},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":5,
                     "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}},
                                {"type":"Pods","pods":{"metric":{"name":"qps"},"target":{"type":"AverageValue","averageValue":"1k"}}},
                                {"type":"Object","object":{"metric":{"name":"hits"},"describedObject":{"kind":"Service","name":"s"},"target":{"type":"Value","value":"10"}}}]}}
            """);
        Assert.Equal(["new", "Deployment/web", "cpu: <unknown>/50%, <unknown>/1k + 1 more...", "<unset>", "5", "0", "3h2m"], fresh);

        Assert.Equal("<none>", Row("autoscaling", "horizontalpodautoscalers", $$$$"""{"metadata":{{{{Meta("m")}}}},"spec":{"maxReplicas":1}}""")[2]);
    }

    [Fact]
    public void HpaObjectAndExternalTargets()
    {
        var row = Row("autoscaling", "horizontalpodautoscalers", $$$$"""
            {"metadata":{{{{Meta("q")}}}},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"w"},"maxReplicas":4,
                     "metrics":[{"type":"External","external":{"metric":{"name":"queue"},"target":{"type":"AverageValue","averageValue":"30"}}},
                                {"type":"Object","object":{"metric":{"name":"rps"},"target":{"type":"Value","value":"2000m"}}}]},
             "status":{"currentMetrics":[{"type":"External","external":{"current":{"averageValue":"12"}}},
                                         {"type":"Object","object":{"current":{"value":"1500m"}}}]}}
            """);
        Assert.Equal("12/30 (avg), 1500m/2", row[2]);
    }
}
