using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>batch/v1: Job, CronJob (k8s.io/api/batch/v1/types.go).</summary>
internal static class BatchKinds
{
    private static FieldSchema Batch(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj("io.k8s.api.batch.v1." + name, description, fields, required);

    public static readonly FieldSchema PodFailurePolicyOnExitCodesRequirement = Batch("PodFailurePolicyOnExitCodesRequirement",
        "PodFailurePolicyOnExitCodesRequirement describes the requirement for handling a failed pod based on its container exit codes.",
        [("containerName", Str), ("operator", Str), ("values", SetList(I32))], ["operator", "values"]);

    public static readonly FieldSchema PodFailurePolicyOnPodConditionsPattern = Batch("PodFailurePolicyOnPodConditionsPattern",
        "PodFailurePolicyOnPodConditionsPattern describes a pattern for matching an actual pod condition type.",
        [("status", Str), ("type", Str)], ["type"]);

    public static readonly FieldSchema PodFailurePolicyRule = Batch("PodFailurePolicyRule",
        "PodFailurePolicyRule describes how a pod failure is handled when the requirements are met.",
        [("action", Str), ("onExitCodes", PodFailurePolicyOnExitCodesRequirement), ("onPodConditions",
            Atomic(PodFailurePolicyOnPodConditionsPattern))], ["action"]);

    public static readonly FieldSchema PodFailurePolicy = Batch("PodFailurePolicy",
        "PodFailurePolicy describes how failed pods influence the backoffLimit.",
        [("rules", Atomic(PodFailurePolicyRule))], ["rules"]);

    public static readonly FieldSchema SuccessPolicyRule = Batch("SuccessPolicyRule",
        "SuccessPolicyRule describes rule for declaring a Job as succeeded.",
        [("succeededCount", I32), ("succeededIndexes", Str)]);

    public static readonly FieldSchema SuccessPolicy = Batch("SuccessPolicy",
        "SuccessPolicy describes when a Job can be declared as succeeded based on the success of some indexes.",
        [("rules", Atomic(SuccessPolicyRule))], ["rules"]);

    public static readonly FieldSchema JobSpec = Batch("JobSpec", "JobSpec describes how the job execution will look like.",
        [("activeDeadlineSeconds", I64), ("backoffLimit", I32), ("backoffLimitPerIndex", I32), ("completionMode", Str), ("completions", I32),
            ("managedBy", Str), ("manualSelector", Bool), ("maxFailedIndexes", I32), ("parallelism", I32), ("podFailurePolicy", PodFailurePolicy),
            ("podReplacementPolicy", Str), ("selector", MetaTypes.LabelSelector), ("successPolicy", SuccessPolicy), ("suspend", Bool),
            ("template", PodTypes.PodTemplateSpec), ("ttlSecondsAfterFinished", I32)], ["template"]);

    public static readonly FieldSchema JobCondition = Batch("JobCondition", "JobCondition describes current state of a job.",
        [("lastProbeTime", Time), ("lastTransitionTime", Time), ("message", Str), ("reason", Str), ("status", Str), ("type", Str)],
            ["status", "type"]);

    public static readonly FieldSchema UncountedTerminatedPods = Batch("UncountedTerminatedPods",
        "UncountedTerminatedPods holds UIDs of Pods that have terminated but haven't been accounted in Job status counters.",
        [("failed", SetList(Str)), ("succeeded", SetList(Str))]);

    public static readonly FieldSchema JobStatus = Batch("JobStatus", "JobStatus represents the current state of a Job.",
        [("active", I32), ("completedIndexes", Str), ("completionTime", Time), ("conditions", MergeKeyed(JobCondition, "type", "atomic")),
            ("failed", I32), ("failedIndexes", Str), ("ready", I32), ("startTime", Time), ("succeeded", I32), ("terminating", I32),
            ("uncountedTerminatedPods", UncountedTerminatedPods)]);

    public static readonly FieldSchema Job = Kind("io.k8s.api.batch.v1.Job",
        "Job represents the configuration of a single job.",
        [("spec", JobSpec), ("status", JobStatus)]);

    public static readonly FieldSchema JobTemplateSpec = Batch("JobTemplateSpec",
        "JobTemplateSpec describes the data a Job should have when created from a template",
        [("metadata", MetaTypes.ObjectMeta), ("spec", JobSpec)]);

    public static readonly FieldSchema CronJobSpec = Batch("CronJobSpec",
        "CronJobSpec describes how the job execution will look like and when it will actually run.",
        [("concurrencyPolicy", Str), ("failedJobsHistoryLimit", I32), ("jobTemplate", JobTemplateSpec), ("schedule", Str),
            ("startingDeadlineSeconds", I64), ("successfulJobsHistoryLimit", I32), ("suspend", Bool), ("timeZone", Str)],
            ["jobTemplate", "schedule"]);

    public static readonly FieldSchema CronJobStatus = Batch("CronJobStatus", "CronJobStatus represents the current state of a cron job.",
        [("active", Atomic(CoreKinds.ObjectReference)), ("lastScheduleTime", Time), ("lastSuccessfulTime", Time)]);

    public static readonly FieldSchema CronJob = Kind("io.k8s.api.batch.v1.CronJob",
        "CronJob represents the configuration of a single cron job.",
        [("spec", CronJobSpec), ("status", CronJobStatus)]);
}
