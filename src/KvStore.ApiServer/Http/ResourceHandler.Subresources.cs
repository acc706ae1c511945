using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;
using KvStore.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    private static readonly string[] KubeletSubresources = ["log", "exec", "attach", "portforward", "proxy"];

    private async Task SubresourceAsync(HttpContext context, RequestTarget target, string subresource)
    {
        if (target.Name is null || !target.Resource.Subresources.Contains(subresource)) throw ApiError.NoSuchPath();
        var method = context.Request.Method;
        if (KubeletSubresources.Contains(subresource))
        {
            await ReadAsync(target, null, context.RequestAborted).ConfigureAwait(false);
            var what = target.Resource.Resource == "pods" ? $"pod \"{target.Name}\" in namespace \"{target.Namespace}\""
                : $"{target.Resource.Resource} \"{target.Name}\"";
            throw ApiError.BadRequest($"no kubelet: kvstore's apiserver stores {what} but runs no containers ({subresource} is not available)");
        }
        switch (subresource, method)
        {
            case ("status", "GET"):
                await GetAsync(context, target with { Subresource = null }).ConfigureAwait(false);
                return;
            case ("status", "PUT"):
                await UpdateAsync(context, target).ConfigureAwait(false);
                return;
            case ("status", "PATCH"):
                await PatchAsync(context, target).ConfigureAwait(false);
                return;
            case ("finalize", "PUT"):
                // namespaces/NAME/finalize: spec.finalizers only; emptying it ends a terminating namespace
                await UpdateAsync(context, target).ConfigureAwait(false);
                return;
            case ("scale", "GET"):
                var stored = await ReadAsync(target, Query(context, "resourceVersion"), context.RequestAborted).ConfigureAwait(false);
                await HttpIo.WriteAsync(context, 200, Scale(target.Resource, stored.Object)).ConfigureAwait(false);
                return;
            case ("scale", "PUT" or "PATCH"):
                await UpdateScaleAsync(context, target, method == "PATCH").ConfigureAwait(false);
                return;
            case ("binding", "POST"):
                await BindAsync(context, target).ConfigureAwait(false);
                return;
            default:
                throw ApiError.MethodNotAllowed();
        }
    }

    /// <summary>autoscaling/v1 Scale of a deployment, replica set or stateful set (its spec.replicas, status and selector), or
    /// of a custom resource at its CRD's paths (missing replicas read 0, as kube's scale for custom resources).</summary>
    private static JsonObject Scale(ResourceInfo resource, JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject ?? [];
        var scaleMeta = new JsonObject();
        foreach (var field in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
        {
            if (meta[field] is { } value) scaleMeta[field] = value.DeepClone();
        }
        JsonNode? specReplicas;
        JsonObject status;
        if (resource.Runtime?.Scale is { } paths)
        {
            specReplicas = CustomResources.ScaleValue.Get(obj, paths.SpecReplicas)?.DeepClone() ?? 0;
            status = new JsonObject { ["replicas"] = CustomResources.ScaleValue.Get(obj, paths.StatusReplicas)?.DeepClone() ?? 0 };
            if (paths.LabelSelector is { } selectorPath && ObjectDefaults.Str(CustomResources.ScaleValue.Get(obj, selectorPath)) is { } text)
                status["selector"] = text;
        }
        else
        {
            specReplicas = obj["spec"]?["replicas"]?.DeepClone() ?? 1;
            status = new JsonObject { ["replicas"] = obj["status"]?["replicas"]?.DeepClone() ?? 0 };
            if (obj["spec"]?["selector"] is JsonObject selector) status["selector"] = SelectorText(selector);
        }
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = scaleMeta,
            ["spec"] = new JsonObject { ["replicas"] = specReplicas },
            ["status"] = status,
        };
    }

    /// <summary>A LabelSelector object in the string form (metav1.FormatLabelSelector).</summary>
    private static string SelectorText(JsonObject selector)
    {
        var parts = new List<string>();
        if (selector["matchLabels"] is JsonObject labels)
        {
            parts.AddRange(labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={ObjectDefaults.Str(l.Value)}"));
        }
        if (selector["matchExpressions"] is JsonArray expressions)
        {
            foreach (var e in expressions.OfType<JsonObject>())
            {
                var key = ObjectDefaults.Str(e["key"]);
                var values = (e["values"] as JsonArray ?? []).Select(ObjectDefaults.Str).Order(StringComparer.Ordinal);
                parts.Add(ObjectDefaults.Str(e["operator"]) switch
                {
                    "In" => $"{key} in ({string.Join(",", values)})",
                    "NotIn" => $"{key} notin ({string.Join(",", values)})",
                    "Exists" => key!,
                    "DoesNotExist" => "!" + key,
                    _ => key!,
                });
            }
        }
        return string.Join(",", parts);
    }

    private async Task UpdateScaleAsync(HttpContext context, RequestTarget target, bool patch)
    {
        var contentType = (context.Request.ContentType ?? HttpIo.Json).Split(';')[0].Trim();
        var protobuf = HttpIo.IsProtobuf(context.Request);
        var bytes = await HttpIo.ReadBytesAsync(context.Request).ConfigureAwait(false);
        var body = protobuf ? "" : System.Text.Encoding.UTF8.GetString(bytes);
        var dryRun = DryRun(context);
        var updated = await ReadModifyWriteAsync(target with { Subresource = null }, (current, revision) =>
        {
            if (current is null) throw ApiError.NotFound(target.Resource, target.Name!);
            var scale = Scale(target.Resource, current);
            scale["metadata"]!["resourceVersion"] = Revision(revision);
            JsonObject wanted;
            if (patch)
            {
                wanted = contentType switch
                {
                    Patcher.JsonPatch => Patcher.ApplyJsonPatch(scale, HttpIo.ParseDocument(body, HttpIo.Json) as JsonArray
                        ?? throw ApiError.BadRequest("invalid json patch")),
                    Patcher.MergePatch or Patcher.StrategicMergePatch => Patcher.ApplyMergePatch(scale, HttpIo.ParseDocument(body, HttpIo.Json)
                        ?? new JsonObject()),
                    _ => throw ApiError.UnsupportedMediaType(contentType),
                } as JsonObject ?? throw ApiError.BadRequest("the patch did not produce an object");
            }
            else
            {
                wanted = protobuf ? ProtobufBody.Decode(bytes)
                    : HttpIo.ParseDocument(body,
                        context.Request.ContentType) as JsonObject ?? throw ApiError.BadRequest("a Scale object is required");
            }
            CheckPrecondition(target, wanted, revision);
            var replicas = wanted["spec"]?["replicas"];
            if (replicas is not JsonValue v || !v.TryGetValue<long>(out var count) || count < 0)
            {
                throw ApiError.Invalid(target.Resource, target.Name!, [new Schema.FieldCause("FieldValueInvalid",
                    $"Invalid value: {replicas?.ToJsonString() ?? "null"}: must be greater than or equal to 0", "spec.replicas")]);
            }
            var result = (JsonObject)current.DeepClone();
            if (target.Resource.Runtime?.Scale is { } paths)
            {
                CustomResources.ScaleValue.Set(result, paths.SpecReplicas, count);
            }
            else
            {
                if (result["spec"] is not JsonObject spec) result["spec"] = spec = [];
                spec["replicas"] = count;
            }
            return ObjectDefaults.ForUpdate(target.Resource, current, result, null);
        }, createIfMissing: false, dryRun, UpdateManager(context), context.RequestAborted).ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 200, Scale(target.Resource, updated)).ConfigureAwait(false);
    }

    /// <summary>pods/binding (what a scheduler posts): sets spec.nodeName once.</summary>
    private async Task BindAsync(HttpContext context, RequestTarget target)
    {
        var binding = await HttpIo.ReadObjectAsync(context.Request).ConfigureAwait(false);
        var node = ObjectDefaults.Str(binding["target"]?["name"]);
        if (string.IsNullOrEmpty(node)) throw ApiError.BadRequest("a Binding needs target.name");
        await ReadModifyWriteAsync(target with { Subresource = null }, (current, _) =>
        {
            if (current is null) throw ApiError.NotFound(target.Resource, target.Name!);
            if (current["spec"] is not JsonObject spec) current["spec"] = spec = [];
            if (ObjectDefaults.Str(spec["nodeName"]) is { Length: > 0 } bound)
            {
                throw ApiError.Conflict(target.Resource, target.Name!, $"pod {target.Name} is already assigned to node \"{bound}\"");
            }
            var result = (JsonObject)current.DeepClone();
            result["spec"]!["nodeName"] = node;
            return result;
        }, createIfMissing: false, DryRun(context), UpdateManager(context), context.RequestAborted).ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 201, new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201,
        }).ConfigureAwait(false);
    }
}
