using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>
/// kube's printPod: READY counts ready running containers (restartable init containers, i.e. sidecars, included),
/// STATUS is the phase refined by init-container and container states ("Init:0/2", "Init:CrashLoopBackOff",
/// "ContainerCreating", "CrashLoopBackOff", "Completed", "Error", "ExitCode:3", "Terminating", "SchedulingGated"...),
/// RESTARTS is the restart count with the last restart's age ("3 (5m ago)").
/// </summary>
internal static class PodPrinter
{
    public static readonly Printer Printer = new(
        [
            TableColumn.Name_(),
            new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
            new("Status", "string", "The aggregate status of the containers in this pod."),
            new("Restarts", "string",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            TableColumn.Age(),
            new("IP", "string", Docs.PodIP, 1),
            new("Node", "string", Docs.NodeName, 1),
            new("Nominated Node", "string", Docs.NominatedNodeName, 1),
            new("Readiness Gates", "string", Docs.ReadinessGates, 1),
        ],
        Print);

    private const string NodeUnreachablePodReason = "NodeLost";

    public static PrintedRow Print(JsonObject pod, DateTimeOffset now)
    {
        var spec = Json.At(pod, "spec");
        var status = Json.At(pod, "status");
        var restarts = 0L;
        var restartableInitContainerRestarts = 0L;
        var initContainerSpecs = Json.Objects(spec, "initContainers").ToList();
        var totalContainers = Json.Count(spec, "containers");
        var readyContainers = 0;
        DateTimeOffset? lastRestartDate = null;
        DateTimeOffset? lastRestartableInitContainerRestartDate = null;

        var phase = Json.Str(status, "phase");
        var reason = phase;
        if (Json.Str(status, "reason") is { Length: > 0 } statusReason)
            reason = statusReason;

        var conditions = Json.Objects(status, "conditions").ToList();
        if (conditions.Any(c => Json.Str(c, "type") == "PodScheduled" && Json.Str(c, "reason") == "SchedulingGated"))
            reason = "SchedulingGated";

        JsonArray? rowConditions = phase switch
        {
            "Succeeded" => Completed("Succeeded", "The pod has completed successfully."),
            "Failed" => Completed("Failed", "The pod failed."),
            _ => null,
        };

        var restartable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in initContainerSpecs)
        {
            if (Json.Str(c, "restartPolicy") == "Always")
            {
                restartable.Add(Json.Str(c, "name"));
                totalContainers++;
            }
        }

        var initializing = false;
        var initStatuses = Json.Objects(status, "initContainerStatuses").ToList();
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var container = initStatuses[i];
            var count = Json.Int(container, "restartCount");
            restarts += count;
            var lastTerminated = Json.At(container, "lastState", "terminated");
            if (lastTerminated is not null)
                lastRestartDate = Later(lastRestartDate, Json.Time(lastTerminated, "finishedAt"));
            var isRestartable = restartable.Contains(Json.Str(container, "name"));
            if (isRestartable)
            {
                restartableInitContainerRestarts += count;
                if (lastTerminated is not null)
                    lastRestartableInitContainerRestartDate = Later(lastRestartableInitContainerRestartDate, Json.Time(lastTerminated, "finishedAt"));
            }
            var terminated = Json.At(container, "state", "terminated");
            var waiting = Json.At(container, "state", "waiting");
            if (terminated is not null && Json.Int(terminated, "exitCode") == 0)
                continue;
            if (isRestartable && Json.Bool(container, "started"))
            {
                if (Json.Bool(container, "ready"))
                    readyContainers++;
                continue;
            }
            if (terminated is not null)
            {
                reason = Json.Str(terminated, "reason") is { Length: > 0 } r
                    ? "Init:" + r
                    : Json.Int(terminated, "signal") != 0
                        ? $"Init:Signal:{Json.Int(terminated, "signal")}"
                        : $"Init:ExitCode:{Json.Int(terminated, "exitCode")}";
            }
            else if (waiting is not null && Json.Str(waiting, "reason") is { Length: > 0 } w && w != "PodInitializing")
                reason = "Init:" + w;
            else
                reason = $"Init:{i}/{initContainerSpecs.Count}";
            initializing = true;
            break;
        }

        if (!initializing || conditions.Any(c => Json.Str(c, "type") == "Initialized" && Json.Str(c, "status") == "True"))
        {
            restarts = restartableInitContainerRestarts;
            lastRestartDate = lastRestartableInitContainerRestartDate;
            var hasRunning = false;
            var statuses = Json.Objects(status, "containerStatuses").ToList();
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var container = statuses[i];
                restarts += Json.Int(container, "restartCount");
                if (Json.At(container, "lastState", "terminated") is { } lastTerminated)
                    lastRestartDate = Later(lastRestartDate, Json.Time(lastTerminated, "finishedAt"));
                var waiting = Json.At(container, "state", "waiting");
                var terminated = Json.At(container, "state", "terminated");
                if (waiting is not null && Json.Str(waiting, "reason") is { Length: > 0 } w)
                    reason = w;
                else if (terminated is not null && Json.Str(terminated, "reason") is { Length: > 0 } t)
                    reason = t;
                else if (terminated is not null)
                    reason = Json.Int(terminated, "signal") != 0
                        ? $"Signal:{Json.Int(terminated, "signal")}"
                        : $"ExitCode:{Json.Int(terminated, "exitCode")}";
                else if (Json.Bool(container, "ready") && Json.Has(container, "state", "running"))
                {
                    hasRunning = true;
                    readyContainers++;
                }
            }
            if (reason == "Completed" && hasRunning)
                reason = conditions.Any(c => Json.Str(c, "type") == "Ready" && Json.Str(c, "status") == "True") ? "Running" : "NotReady";
        }

        var deleting = Json.Has(pod, "metadata", "deletionTimestamp");
        if (deleting && Json.Str(status, "reason") == NodeUnreachablePodReason)
            reason = "Unknown";
        else if (deleting && phase != "Succeeded" && phase != "Failed")
            reason = "Terminating";

        var restartsText = Format.Int(restarts);
        if (restarts != 0 && lastRestartDate is not null)
            restartsText = $"{restarts} ({Format.Since(lastRestartDate, now)} ago)";

        var podIP = Json.Objects(status, "podIPs").Select(p => Json.Str(p, "ip")).FirstOrDefault() ?? Json.Str(status, "podIP");
        var nodeName = Json.Str(spec, "nodeName");
        var nominated = Json.Str(status, "nominatedNodeName");
        var readinessGates = "<none>";
        var gates = Json.Objects(spec, "readinessGates").ToList();
        if (gates.Count > 0)
        {
            var trueConditions = gates.Count(g =>
                conditions.FirstOrDefault(c => Json.Str(c, "type") == Json.Str(g, "conditionType")) is { } c && Json.Str(c, "status") == "True");
            readinessGates = $"{trueConditions}/{gates.Count}";
        }

        return new PrintedRow(
            [
                Json.Str(pod, "metadata", "name"),
                $"{readyContainers}/{totalContainers}",
                reason,
                restartsText,
                Format.Since(Json.Time(pod, "metadata", "creationTimestamp"), now),
                OrNone(podIP),
                OrNone(nodeName),
                OrNone(nominated),
                readinessGates,
            ],
            rowConditions);
    }

    private static string OrNone(string s) => s.Length == 0 ? "<none>" : s;

    private static DateTimeOffset? Later(DateTimeOffset? current, DateTimeOffset? candidate) =>
        candidate is { } c && (current is null || current < c) ? c : current;

    private static JsonArray Completed(string reason, string message) =>
        [new JsonObject { ["type"] = "Completed", ["status"] = "True", ["reason"] = reason, ["message"] = message }];
}
