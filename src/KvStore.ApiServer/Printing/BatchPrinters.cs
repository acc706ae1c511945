using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>kube's printers (pkg/printers/internalversion) for batch/v1 jobs and cronjobs.</summary>
internal static class BatchPrinters
{
    private const string Selector =
        "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: " +
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";

    public static readonly Printer Job = new(
        [
            TableColumn.Name_(),
            new("Status", "string", "Status of the job."),
            new("Completions", "string",
                "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, " +
                "it may decrease in reaction to scale down of elastic indexed jobs."),
            new("Duration", "string", "Time required to complete the job."),
            TableColumn.Age(),
            TableColumn.Containers(),
            TableColumn.Images(),
            new("Selector", "string", Selector, 1),
        ],
        (job, now) =>
        {
            var succeeded = Json.Int(job, "status", "succeeded");
            var parallelism = Json.IntOrNull(job, "spec", "parallelism") ?? 0;
            var completions = Json.IntOrNull(job, "spec", "completions") is { } wanted ? $"{succeeded}/{wanted}"
                : parallelism > 1 ? $"{succeeded}/1 of {parallelism}" : $"{succeeded}/1";
            var start = Json.Time(job, "status", "startTime");
            var duration = start is null ? ""
                : Format.HumanDuration((Json.Time(job, "status", "completionTime") ?? now) - start.Value);
            var (names, images) = Format.Containers(Json.At(job, "spec", "template", "spec"));
            return new PrintedRow(
            [
                Json.Str(job, "metadata", "name"), Status(job), completions, duration,
                Format.Since(Json.Time(job, "metadata", "creationTimestamp"), now), names, images,
                Format.LabelSelector(Json.At(job, "spec", "selector")),
            ]);
        });

    /// <summary>Complete, Failed, Terminating, Suspended, FailureTarget or Running, in kube's order of precedence.</summary>
    private static string Status(JsonObject job)
    {
        bool Has(string type) => Json.Objects(job, "status", "conditions").Any(c => Json.Str(c, "type") == type && Json.Str(c, "status") == "True");
        if (Has("Complete")) return "Complete";
        if (Has("Failed")) return "Failed";
        if (Json.Has(job, "metadata", "deletionTimestamp")) return "Terminating";
        if (Has("Suspended")) return "Suspended";
        return Has("FailureTarget") ? "FailureTarget" : "Running";
    }

    public static readonly Printer CronJob = new(
        [
            TableColumn.Name_(),
            new("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            new("Timezone", "string",
                "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, " +
                "this will default to the time zone of the kube-controller-manager process. " +
                "The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server " +
                "during CronJob validation and the controller manager during execution. " +
                "If no system-wide time zone database can be found a bundled version of the database is used instead. " +
                "If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, " +
                "the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. " +
                "More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones"),
            new("Suspend", "boolean",
                "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions. " +
                " Defaults to false."),
            new("Active", "integer", "A list of pointers to currently running jobs."),
            new("Last Schedule", "string", "Information when was the last time the job was successfully scheduled."),
            TableColumn.Age(),
            TableColumn.Containers(),
            TableColumn.Images(),
            new("Selector", "string", Selector, 1),
        ],
        (cj, now) =>
        {
            var (names, images) = Format.Containers(Json.At(cj, "spec", "jobTemplate", "spec", "template", "spec"));
            var last = Json.Time(cj, "status", "lastScheduleTime");
            var zone = Json.At(cj, "spec", "timeZone") is JsonValue z ? (string?)z ?? "<none>" : "<none>";
            return new PrintedRow(
            [
                Json.Str(cj, "metadata", "name"), Json.Str(cj, "spec", "schedule"), zone,
                Json.At(cj, "spec", "suspend") is JsonValue s ? (s.GetValue<bool>() ? "True" : "False") : "<unset>",
                Json.Count(cj, "status", "active"), last is null ? "<none>" : Format.Since(last, now),
                Format.Since(Json.Time(cj, "metadata", "creationTimestamp"), now), names, images,
                Format.LabelSelector(Json.At(cj, "spec", "jobTemplate", "spec", "selector")),
            ]);
        });
}
