using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;

namespace KvStore.ApiServer.Http;

/// <summary>
/// A request that ends in a kube-apiserver <c>Status</c> failure (reason, message, details, code), as
/// apimachinery's errors package builds them (k8s.io/apimachinery/pkg/api/errors/errors.go). Thrown by the
/// handlers and written once, by <see cref="ApiServerEndpoints"/>.
/// </summary>
public sealed class ApiError(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;

    /// <summary>An expired list's token to continue at the latest revision (the Status's metadata.continue).</summary>
    public string? ListContinue { get; init; }

    /// <summary>"pods", "deployments.apps": the group-qualified resource kube names in its messages.</summary>
    public static string Qualified(ResourceInfo resource) =>
        resource.Group.Length == 0 ? resource.Resource : $"{resource.Resource}.{resource.Group}";

    private static JsonObject NameDetails(ResourceInfo resource, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (resource.Group.Length > 0) details["group"] = resource.Group;
        details["kind"] = resource.Resource;
        return details;
    }

    public static ApiError NotFound(ResourceInfo resource, string name) =>
        new(404, "NotFound", $"{Qualified(resource)} \"{name}\" not found", NameDetails(resource, name));

    public static ApiError NamespaceNotFound(string ns) =>
        new(404, "NotFound", $"namespaces \"{ns}\" not found", new JsonObject { ["name"] = ns, ["kind"] = "namespaces" });

    public static ApiError AlreadyExists(ResourceInfo resource, string name) =>
        new(409, "AlreadyExists", $"{Qualified(resource)} \"{name}\" already exists", NameDetails(resource, name));

    public static ApiError Conflict(ResourceInfo resource, string name, string why =
        "the object has been modified; please apply your changes to the latest version and try again") =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(resource)} \"{name}\": {why}", NameDetails(resource, name));

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiError Expired(string message) => new(410, "Expired", message);

    public static ApiError MethodNotAllowed() =>
        new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");

    /// <summary>The 404 for a path that names no served resource (kube's genericapirequest "not found").</summary>
    public static ApiError NoSuchPath() => new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    public static ApiError UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType",
            $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, " +
            $"application/vnd.kubernetes.protobuf (got {contentType})");

    /// <summary>422 Invalid: `Pod "x" is invalid: spec.containers: Required value` (several causes: "[a, b]"); the kind is
    /// group-qualified as kube's GroupKind prints it (`Deployment.apps "x" is invalid`).</summary>
    public static ApiError Invalid(ResourceInfo resource, string name, IReadOnlyList<FieldCause> causes)
    {
        var texts = causes.Select(c => CauseText(c)).ToList();
        var joined = texts.Count == 1 ? texts[0] : "[" + string.Join(", ", texts) + "]";
        var details = new JsonObject { ["name"] = name };
        if (resource.Group.Length > 0) details["group"] = resource.Group;
        details["kind"] = resource.Kind;
        details["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject
        {
            ["reason"] = c.Reason,
            ["message"] = c.Message,
            ["field"] = c.Field.TrimStart('.'),
        }).ToArray());
        var kind = resource.Group.Length == 0 ? resource.Kind : $"{resource.Kind}.{resource.Group}";
        return new(422, "Invalid", $"{kind} \"{name}\" is invalid: {joined}", details);
    }

    private static string CauseText(FieldCause cause)
    {
        var field = cause.Field.TrimStart('.');
        return field.Length == 0 || cause.Message.StartsWith(field + ":", StringComparison.Ordinal) ? cause.Message : $"{field}: {cause.Message}";
    }

    /// <summary>The Status for a store outcome on one object.</summary>
    public static ApiError FromStore(StoreException e, ResourceInfo resource, string name) => e.Error switch
    {
        StoreError.NotFound => NotFound(resource, name),
        StoreError.AlreadyExists => AlreadyExists(resource, name),
        StoreError.Conflict => Conflict(resource, name),
        StoreError.Expired => Expired(e.Message.Length > 0 ? e.Message : "too old resource version"),
        StoreError.BadRequest => BadRequest(e.Message),
        StoreError.TooLarge => TooLargeResourceVersion(e.Message),
        StoreError.Initializing => new(429, "TooManyRequests", e.Message, new JsonObject { ["retryAfterSeconds"] = 1 }),
        _ => new ApiError(504, "Timeout", $"etcd: {e.Message}"),
    };

    /// <summary>kube's storage.NewTooLargeResourceVersionError: 504 Timeout, cause ResourceVersionTooLarge, retry after 1 s.</summary>
    public static ApiError TooLargeResourceVersion(string message) =>
        new(504, "Timeout", "Timeout: " + message, new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }),
            ["retryAfterSeconds"] = 1,
        });

    /// <summary>403 Forbidden as apimachinery's NewForbidden words it: `configmaps "x" is forbidden: why`.</summary>
    public static ApiError Forbidden(ResourceInfo resource, string name, string why, JsonArray? causes = null)
    {
        var details = NameDetails(resource, name);
        if (causes is not null) details["causes"] = causes;
        var subject = name.Length == 0 ? Qualified(resource) : $"{Qualified(resource)} \"{name}\"";
        return new(403, "Forbidden", $"{subject} is forbidden: {why}", details);
    }

    /// <summary>422 for request options (`ListOptions.meta.k8s.io "" is invalid: ...`), as kube's NewInvalid on meta.k8s.io kinds.</summary>
    public static ApiError InvalidOptions(string kind, IReadOnlyList<FieldCause> causes)
    {
        var texts = causes.Select(CauseText).ToList();
        var joined = texts.Count == 1 ? texts[0] : "[" + string.Join(", ", texts) + "]";
        var details = new JsonObject
        {
            ["group"] = "meta.k8s.io",
            ["kind"] = kind,
            ["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject
            {
                ["reason"] = c.Reason,
                ["message"] = c.Message,
                ["field"] = c.Field.TrimStart('.'),
            }).ToArray()),
        };
        return new(422, "Invalid", $"{kind}.meta.k8s.io \"\" is invalid: {joined}", details);
    }

    public JsonObject ToStatus()
    {
        var status = Status(Code, Reason, Message, Details);
        if (ListContinue is { Length: > 0 } next) status["metadata"] = new JsonObject { ["continue"] = next };
        return status;
    }

    public static JsonObject Status(int code, string reason, string message, JsonObject? details)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null) status["details"] = details;
        status["code"] = code;
        return status;
    }
}
