using System.Globalization;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;
using Microsoft.AspNetCore.Http;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.Http;

/// <summary>
/// metav1.DeleteOptions from a DELETE's body (kubectl sends {"propagationPolicy":"Background"}) or its query, validated
/// as kube's ValidateDeleteOptions (422 `DeleteOptions.meta.k8s.io "" is invalid: ...`), and the garbage-collector
/// finalizers they ask for (kube's deletionFinalizersForGarbageCollection, every resource here defaulting to
/// deleting its dependents in the background).
/// </summary>
internal sealed record DeleteOptions(string? PropagationPolicy, bool? OrphanDependents, long? GracePeriodSeconds, string? Uid,
    string? ResourceVersion, bool DryRun)
{
    public const string Orphan = "Orphan";
    public const string Background = "Background";
    public const string Foreground = "Foreground";

    /// <summary>metav1.FinalizerOrphanDependents: the garbage collector orphans the dependents, then removes it.</summary>
    public const string OrphanFinalizer = "orphan";

    /// <summary>metav1.FinalizerDeleteDependents: the garbage collector deletes the blocking dependents first.</summary>
    public const string ForegroundFinalizer = "foregroundDeletion";

    public static readonly DeleteOptions BackgroundPropagation = new(Background, null, null, null, null, false);

    public static async Task<DeleteOptions> ReadAsync(HttpContext context)
    {
        string? Get(string name) => context.Request.Query[name] is { Count: > 0 } v ? v[0] : null;
        var options = new DeleteOptions(Get("propagationPolicy"), Bool(Get("orphanDependents")), Long(Get("gracePeriodSeconds")), null, null,
            context.Request.Query["dryRun"].Count > 0);
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            // JSON, YAML or (client-go's typed clients) protobuf
            if (await HttpIo.ReadOptionalObjectAsync(context.Request).ConfigureAwait(false) is { } body)
            {
                options = new DeleteOptions(
                    ObjectDefaults.Str(body["propagationPolicy"]) ?? options.PropagationPolicy,
                    body["orphanDependents"] is JsonValue o && o.TryGetValue<bool>(out var orphan) ? orphan : options.OrphanDependents,
                    body["gracePeriodSeconds"] is JsonValue g && g.TryGetValue<long>(out var grace) ? grace : options.GracePeriodSeconds,
                    ObjectDefaults.Str(body["preconditions"]?["uid"]),
                    ObjectDefaults.Str(body["preconditions"]?["resourceVersion"]),
                    options.DryRun || body["dryRun"] is JsonArray { Count: > 0 });
            }
        }
        options.Validate();
        return options;
    }

    private static bool? Bool(string? text) => text is null ? null : text is "true" or "1" or "True" or "TRUE" or "t";

    private static long? Long(string? text) =>
        text is null ? null : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
            : throw ApiError.BadRequest($"strconv.ParseInt: parsing \"{text}\": invalid syntax");

    private void Validate()
    {
        var errors = new List<FieldCause>();
        if (OrphanDependents is not null && PropagationPolicy is not null)
        {
            errors.Add(Invalid("propagationPolicy", PropagationPolicy, "orphanDependents and deletionPropagation cannot be both set"));
        }
        if (PropagationPolicy is not null and not (Foreground or Background or Orphan))
        {
            errors.Add(NotSupported("propagationPolicy", PropagationPolicy, [Foreground, Background, Orphan, "nil"]));
        }
        if (errors.Count > 0) throw ApiError.InvalidOptions("DeleteOptions", errors);
    }

    /// <summary>kube's shouldOrphanDependents: the options, else the object's finalizers, else the default (delete dependents).</summary>
    public bool ShouldOrphan(IReadOnlyList<string> finalizers) =>
        OrphanDependents ?? PropagationPolicy switch
        {
            Orphan => true,
            Background or Foreground => false,
            _ => finalizers.Contains(OrphanFinalizer),
        };

    /// <summary>kube's shouldDeleteDependents: Foreground in the options, else the foregroundDeletion finalizer already there.</summary>
    public bool ShouldDeleteDependents(IReadOnlyList<string> finalizers) =>
        OrphanDependents is null && PropagationPolicy switch
        {
            Foreground => true,
            Background or Orphan => false,
            _ => finalizers.Contains(ForegroundFinalizer),
        };

    /// <summary>The finalizers the object should have once this delete is applied: its own, with orphan and
    /// foregroundDeletion as the options say; null when that is what it has.</summary>
    public List<string>? GarbageCollectionFinalizers(IReadOnlyList<string> finalizers)
    {
        var updated = finalizers.Where(f => f is not (OrphanFinalizer or ForegroundFinalizer)).ToList();
        if (ShouldOrphan(finalizers)) updated.Add(OrphanFinalizer);
        if (ShouldDeleteDependents(finalizers)) updated.Add(ForegroundFinalizer);
        return updated.ToHashSet().SetEquals(finalizers) ? null : updated;
    }
}
