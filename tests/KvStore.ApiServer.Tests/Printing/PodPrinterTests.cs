using System.Text.Json.Nodes;
using static KvStore.ApiServer.Tests.Printing.TableTestKit;

namespace KvStore.ApiServer.Tests.Printing;

/// <summary>printPod's cells for pods in the states kubectl users meet (cases after kube's printers_test.go).</summary>
public sealed class PodPrinterTests
{
    private static readonly string Created = Ago(TimeSpan.FromMinutes(42));

    private static string Pod(string containers, string status, string extraSpec = "", string extraMeta = "") => $$"""
        {"apiVersion":"v1","kind":"Pod",
         "metadata":{"name":"web-0","namespace":"default","creationTimestamp":"{{Created}}"{{extraMeta}}},
         "spec":{"containers":{{containers}}{{extraSpec}}},
         "status":{{status}}}
        """;

    private const string TwoContainers = """[{"name":"app","image":"nginx"},{"name":"log","image":"busybox"}]""";
    private const string OneContainer = """[{"name":"app","image":"nginx"}]""";

    [Fact]
    public void RunningReadyPodWithWideCells()
    {
        var row = Row("", "pods", Pod(TwoContainers, $$"""
            {"phase":"Running","podIP":"10.244.0.5","podIPs":[{"ip":"10.244.0.5"},{"ip":"fd00::5"}],
             "conditions":[{"type":"Ready","status":"True"}],
             "containerStatuses":[
               {"name":"app","ready":true,"restartCount":0,"state":{"running":{"startedAt":"{{Created}}"} } },
               {"name":"log","ready":true,"restartCount":0,"state":{"running":{"startedAt":"{{Created}}"} } }]}
            """, ""","nodeName":"node-1","readinessGates":[{"conditionType":"example.com/lb"}]"""));
        Assert.Equal(["web-0", "2/2", "Running", "0", "42m", "10.244.0.5", "node-1", "<none>", "0/1"], row);
    }

    [Fact]
    public void MatchesARowRecordedFromKubeApiserver()
    {
        // A pod and the Table row a 1.30 kube-apiserver sent for it 34m33s after its creation (kubectl -v 9 output
        // in a public tutorial); metadata trimmed, status as recorded.
        const string pod = """
            {"kind":"Pod","apiVersion":"v1",
             "metadata":{"name":"hello-world","namespace":"default","uid":"0b295a7b-7365-44a0-a983-708112008c8b","resourceVersion":"279474",
                         "creationTimestamp":"2024-06-25T14:48:12Z","annotations":{"cni.projectcalico.org/podIP":"10.0.15.103/32"}},
             "spec":{"containers":[{"name":"hello-world","image":"gcr.io/google-samples/hello-app:1.0"}],"restartPolicy":"Always","nodeName":"c1-node1"},
             "status":{"phase":"Running",
                       "conditions":[{"type":"PodReadyToStartContainers","status":"True"},{"type":"Initialized","status":"True"},
                                     {"type":"Ready","status":"True"},{"type":"ContainersReady","status":"True"},{"type":"PodScheduled","status":"True"}],
                       "hostIP":"192.168.1.20","podIP":"10.0.15.103","podIPs":[{"ip":"10.0.15.103"}],"startTime":"2024-06-25T14:48:12Z",
                       "containerStatuses":[{"name":"hello-world","state":{"running":{"startedAt":"2024-06-25T15:19:23Z"} },"lastState":{},
                                             "ready":true,"restartCount":0,"image":"gcr.io/google-samples/hello-app:1.0","started":true}],
                       "qosClass":"BestEffort"}}
            """;
        var table = KvStore.ApiServer.Printing.TableConvertor.ToTable(Resource("", "pods"), [JsonNode.Parse(pod)!.AsObject()], "Metadata",
            new DateTimeOffset(2024, 6, 25, 15, 22, 45, TimeSpan.Zero));
        var row = table["rows"]![0]!;
        Assert.Equal("""["hello-world","1/1","Running","0","34m","10.0.15.103","c1-node1","\u003Cnone\u003E","\u003Cnone\u003E"]""",
            row["cells"]!.ToJsonString());
        Assert.StartsWith("""{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"hello-world",""",
            row["object"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PendingPodWithoutStatusesShowsPhaseAndNones()
    {
        var row = Row("", "pods", Pod(OneContainer, """{"phase":"Pending"}"""));
        Assert.Equal(["web-0", "0/1", "Pending", "0", "42m", "<none>", "<none>", "<none>", "<none>"], row);
    }

    [Fact]
    public void SchedulingGatedPod()
    {
        var row = Row("", "pods", Pod(OneContainer,
            """{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}"""));
        Assert.Equal("SchedulingGated", row[2]);
    }

    [Fact]
    public void WaitingContainerReasonWins()
    {
        var row = Row("", "pods", Pod(OneContainer,
            """{"phase":"Pending","containerStatuses":[{"name":"app","ready":false,"restartCount":0,"state":{"waiting":{"reason":"ContainerCreating"}}}]}"""));
        Assert.Equal(["web-0", "0/1", "ContainerCreating", "0"], row[..4]);
    }

    [Fact]
    public void CrashLoopShowsRestartsWithTheLastRestartsAge()
    {
        var row = Row("", "pods", Pod(TwoContainers, $$"""
            {"phase":"Running",
             "containerStatuses":[
               {"name":"app","ready":false,"restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"} },
                "lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"{{Ago(TimeSpan.FromMinutes(5))}}"} } },
               {"name":"log","ready":true,"restartCount":1,"state":{"running":{} },
                "lastState":{"terminated":{"exitCode":137,"finishedAt":"{{Ago(TimeSpan.FromMinutes(30))}}"} } }]}
            """));
        Assert.Equal(["web-0", "1/2", "CrashLoopBackOff", "4 (5m ago)"], row[..4]);
    }

    [Theory]
    [InlineData("""{"reason":"OOMKilled","exitCode":137}""", "OOMKilled")]
    [InlineData("""{"exitCode":3}""", "ExitCode:3")]
    [InlineData("""{"exitCode":0,"signal":9}""", "Signal:9")]
    [InlineData("""{"reason":"Completed","exitCode":0}""", "Completed")]
    public void TerminatedContainerReason(string terminated, string expected)
    {
        var row = Row("", "pods", Pod(OneContainer,
            $$"""{"phase":"Running","containerStatuses":[{"name":"app","ready":false,"restartCount":0,"state":{"terminated":{{terminated}} } }]}"""));
        Assert.Equal(expected, row[2]);
    }

    [Fact]
    public void SucceededPodCarriesKubesCompletedRowCondition()
    {
        var table = Table("", "pods", Pod(OneContainer,
            """{"phase":"Succeeded","containerStatuses":[{"name":"app","ready":false,"restartCount":0,"state":{"terminated":{"reason":"Completed","exitCode":0}}}]}"""));
        var row = table["rows"]![0]!;
        Assert.Equal("Completed", (string)row["cells"]![2]!);
        var condition = row["conditions"]![0]!;
        Assert.Equal("Completed", (string)condition["type"]!);
        Assert.Equal("True", (string)condition["status"]!);
        Assert.Equal("Succeeded", (string)condition["reason"]!);
        Assert.Equal("The pod has completed successfully.", (string)condition["message"]!);

        var running = Table("", "pods", Pod(OneContainer, """{"phase":"Running"}"""))["rows"]![0]!.AsObject();
        Assert.False(running.ContainsKey("conditions"));
    }

    [Fact]
    public void CompletedContainerBesideARunningOneReadsRunningOrNotReady()
    {
        const string statuses = """
            "containerStatuses":[
              {"name":"app","ready":true,"restartCount":0,"state":{"running":{}}},
              {"name":"log","ready":false,"restartCount":0,"state":{"terminated":{"reason":"Completed","exitCode":0}}}]
            """;
        // statuses are walked from the last, so the terminated "log" sets Completed before "app" is seen running.
        var ready = Row("", "pods", Pod(TwoContainers, $$"""{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],{{statuses}}}"""));
        Assert.Equal(["1/2", "Running"], ready[1..3]);
        var notReady = Row("", "pods", Pod(TwoContainers, $$"""{"phase":"Running","conditions":[{"type":"Ready","status":"False"}],{{statuses}}}"""));
        Assert.Equal("NotReady", notReady[2]);
    }

    [Fact]
    public void InitContainersInProgress()
    {
        const string inits = ""","initContainers":[{"name":"migrate","image":"m"},{"name":"warm","image":"w"}]""";
        var first = Row("", "pods", Pod(OneContainer, """
            {"phase":"Pending","initContainerStatuses":[
              {"name":"migrate","ready":false,"restartCount":0,"state":{"running":{}}},
              {"name":"warm","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}]}
            """, inits));
        Assert.Equal(["web-0", "0/1", "Init:0/2", "0"], first[..4]);

        var second = Row("", "pods", Pod(OneContainer, """
            {"phase":"Pending","initContainerStatuses":[
              {"name":"migrate","ready":false,"restartCount":0,"state":{"terminated":{"reason":"Completed","exitCode":0}}},
              {"name":"warm","ready":false,"restartCount":0,"state":{"running":{}}}]}
            """, inits));
        Assert.Equal("Init:1/2", second[2]);
    }

    [Fact]
    public void FailingInitContainer()
    {
        const string inits = ""","initContainers":[{"name":"migrate","image":"m"}]""";
        var crash = Row("", "pods", Pod(OneContainer, $$"""
            {"phase":"Pending","initContainerStatuses":[
              {"name":"migrate","ready":false,"restartCount":2,"state":{"waiting":{"reason":"CrashLoopBackOff"} },
               "lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"{{Ago(TimeSpan.FromSeconds(20))}}"} } }],
             "containerStatuses":[{"name":"app","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"} } }]}
            """, inits));
        Assert.Equal(["web-0", "0/1", "Init:CrashLoopBackOff", "2 (20s ago)"], crash[..4]);

        var error = Row("", "pods", Pod(OneContainer,
            """{"phase":"Failed","initContainerStatuses":[{"name":"migrate","restartCount":0,"state":{"terminated":{"reason":"Error","exitCode":1}}}]}""",
            inits));
        Assert.Equal("Init:Error", error[2]);
        var exitCode = Row("", "pods", Pod(OneContainer,
            """{"phase":"Failed","initContainerStatuses":[{"name":"migrate","restartCount":0,"state":{"terminated":{"exitCode":2}}}]}""",
            inits));
        Assert.Equal("Init:ExitCode:2", exitCode[2]);
    }

    [Fact]
    public void SidecarInitContainerCountsAsAContainer()
    {
        var row = Row("", "pods", Pod(OneContainer, """
            {"phase":"Running","conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"True"}],
             "initContainerStatuses":[{"name":"proxy","ready":true,"started":true,"restartCount":1,"state":{"running":{}}}],
             "containerStatuses":[{"name":"app","ready":true,"restartCount":0,"state":{"running":{}}}]}
            """, ""","initContainers":[{"name":"proxy","image":"envoy","restartPolicy":"Always"}]"""));
        // One restart of the sidecar, but no lastState: kube prints the count alone.
        Assert.Equal(["web-0", "2/2", "Running", "1"], row[..4]);
    }

    [Fact]
    public void DeletedPodIsTerminatingUnlessItFinished()
    {
        var meta = $$""","deletionTimestamp":"{{Ago(TimeSpan.FromSeconds(3))}}" """;
        var running = Row("", "pods", Pod(OneContainer,
            """{"phase":"Running","containerStatuses":[{"name":"app","ready":true,"restartCount":0,"state":{"running":{}}}]}""", "", meta));
        Assert.Equal(["web-0", "1/1", "Terminating"], running[..3]);
        var done = Row("", "pods", Pod(OneContainer, """{"phase":"Succeeded"}""", "", meta));
        Assert.Equal("Succeeded", done[2]);
        var lost = Row("", "pods", Pod(OneContainer, """{"phase":"Running","reason":"NodeLost"}""", "", meta));
        Assert.Equal("Unknown", lost[2]);
    }

    [Fact]
    public void EvictedPodShowsTheStatusReason()
    {
        var row = Row("", "pods", Pod(OneContainer, """{"phase":"Failed","reason":"Evicted","message":"low on memory"}"""));
        Assert.Equal("Evicted", row[2]);
    }

    [Fact]
    public void PodWithoutCreationTimestampIsUnknownAge()
    {
        var row = Row("", "pods", """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}}""");
        Assert.Equal(["p", "0/1", "", "0", "<unknown>"], row[..5]);
    }

    [Fact]
    public void RestartsCellIsAString()
    {
        var cells = Cells(Table("", "pods", Pod(OneContainer, """{"phase":"Running"}""")));
        Assert.Equal(System.Text.Json.JsonValueKind.String, cells["Restarts"]!.GetValueKind());
        Assert.Equal(System.Text.Json.JsonValueKind.String, cells["Ready"]!.GetValueKind());
    }
}
