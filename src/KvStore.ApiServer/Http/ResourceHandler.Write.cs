using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>Resources kube lets a PUT create (AllowCreateOnUpdate).</summary>
    private static bool CreateOnUpdate(ResourceInfo resource) => resource.Runtime is null && resource.Resource is "endpoints" or "events" or "leases";

    private static void CheckKind(ResourceInfo resource, JsonObject obj)
    {
        var apiVersion = ObjectDefaults.Str(obj["apiVersion"]);
        var kind = ObjectDefaults.Str(obj["kind"]);
        if (apiVersion is { Length: > 0 } && apiVersion != resource.ApiVersion)
        {
            throw ApiError.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion})");
        }
        if (kind is { Length: > 0 } && kind != resource.Kind)
        {
            throw ApiError.BadRequest(
                $"{kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: " +
                $"no kind \"{kind}\" is registered for version \"{resource.ApiVersion}\"");
        }
    }

    /// <summary>The namespace from the URL, checked against the object's (kube's rest.EnsureObjectNamespaceMatchesRequestNamespace).</summary>
    private static void MatchNamespace(RequestTarget target, JsonObject obj)
    {
        var meta = ObjectDefaults.Metadata(obj);
        if (!target.Resource.Namespaced)
        {
            meta.Remove("namespace");
            return;
        }
        var ns = ObjectDefaults.Str(meta["namespace"]);
        if (ns is { Length: > 0 } && ns != target.Namespace)
        {
            throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        meta["namespace"] = target.Namespace;
    }

    private async Task CreateAsync(HttpContext context, RequestTarget target)
    {
        if (target.Resource.Runtime is { AcceptsCreate: false })
        {
            throw new ApiError(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating",
                new JsonObject { ["group"] = target.Resource.Group, ["kind"] = target.Resource.Resource });
        }
        var obj = await HttpIo.ReadObjectAsync(context.Request).ConfigureAwait(false);
        CheckKind(target.Resource, obj);
        CheckFields(context, target.Resource, obj);
        MatchNamespace(target, obj);
        obj = StorageVersions.ToStorage(target.Resource, obj, null);
        var created = await CreateObjectAsync(target.Resource, target.Namespace, obj, DryRun(context), UpdateManager(context), context.RequestAborted)
            .ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 201, created).ConfigureAwait(false);
    }

    /// <summary>The manager kube-apiserver records for its own writes (the standing namespaces and service).</summary>
    private const string SystemManager = "kube-apiserver";

    /// <summary>
    /// Create: defaults, namespace must exist, validation, ClusterIP and node port allocation for services, a TTL lease for events,
    /// then the store's create (AlreadyExists when the key is taken). Also used to bootstrap the cluster's objects.
    /// </summary>
    public Task<JsonObject> CreateObjectAsync(ResourceInfo resource, string? ns, JsonObject obj, bool dryRun, CancellationToken cancellationToken) =>
        CreateObjectAsync(resource, ns, obj, dryRun, SystemManager, cancellationToken);

    /// <inheritdoc cref="CreateObjectAsync(ResourceInfo, string?, JsonObject, bool, CancellationToken)"/>
    /// <param name="fieldManager">Who owns the fields it sets (managedFields, operation Update); null when they are already
    /// recorded (a server-side apply).</param>
    public async Task<JsonObject> CreateObjectAsync(ResourceInfo resource, string? ns, JsonObject obj, bool dryRun, string? fieldManager,
        CancellationToken cancellationToken)
    {
        ObjectDefaults.ForCreate(resource, obj, Now);
        if (fieldManager is not null) obj = TrackManagedFields(resource, null, obj, fieldManager, null);
        obj = ObjectDefaults.Normalized(obj);
        var meta = ObjectDefaults.Metadata(obj);
        var name = ObjectDefaults.Str(meta["name"]);
        if (string.IsNullOrEmpty(name))
        {
            throw ApiError.Invalid(resource, "", [new FieldCause("FieldValueRequired", "Required value: name or generateName is required",
                "metadata.name")]);
        }
        if (resource.Namespaced)
        {
            meta["namespace"] = ns;
            var namespaceObject = await store.GetAsync(RequestTarget.KeyOf(ResourceCatalog.Find("", "v1", "namespaces")!, null, ns!), null,
                cancellationToken)
                .ConfigureAwait(false) ?? throw ApiError.NamespaceNotFound(ns!);
            if (ObjectDefaults.Str(namespaceObject.Object["status"]?["phase"]) == "Terminating") throw NamespaceTerminating(resource, name, ns!);
        }
        CheckValid(resource, obj, null);
        var key = RequestTarget.KeyOf(resource, ns, name);
        var service = BuiltIn(resource, "services");
        if (dryRun)
        {
            if (service)
            {
                _clusterIps.Preview(obj);
                _nodePorts.Preview(obj);
            }
            return Typed(resource, obj);
        }
        string? ip = null;
        var nodePorts = new HashSet<int>();
        try
        {
            if (service)
            {
                ip = await _clusterIps.AllocateAsync(obj, cancellationToken).ConfigureAwait(false);
                await _nodePorts.AssignAsync(obj, nodePorts, cancellationToken).ConfigureAwait(false);
            }
            var ttl = BuiltIn(resource, "events") ? (long)options.EventTtl.TotalSeconds : 0;
            var stored = await store.CreateAsync(key, obj, ttl, cancellationToken).ConfigureAwait(false);
            if (resource.Runtime is { } runtime) await runtime.WrittenAsync(stored.Object, cancellationToken).ConfigureAwait(false);
            return Typed(resource, stored.Object);
        }
        catch (Exception e) when (e is StoreException or ApiError)
        {
            if (ip is not null) await _clusterIps.ReleaseAsync(ip, cancellationToken).ConfigureAwait(false);
            await _nodePorts.ReleaseAsync(nodePorts, cancellationToken).ConfigureAwait(false);
            if (e is not StoreException storeError) throw;
            var error = ApiError.FromStore(storeError, resource, name);
            // kube's Store.Create: taken by an object that is being deleted says so
            if (storeError.Error == StoreError.AlreadyExists && await store.GetAsync(key, null,
                cancellationToken).ConfigureAwait(false) is { } existing
                && Lifecycle.IsDeleting(existing.Object))
            {
                error = new ApiError(error.Code, error.Reason, "object is being deleted: " + error.Message, error.Details);
            }
            throw error;
        }
    }

    /// <summary>kube's NamespaceLifecycle admission: nothing new in a namespace that is being terminated.</summary>
    private static ApiError NamespaceTerminating(ResourceInfo resource, string name, string ns) =>
        ApiError.Forbidden(resource, name, $"unable to create new content in namespace {ns} because it is being terminated",
            new JsonArray(new JsonObject
            {
                ["reason"] = "NamespaceTerminating",
                ["message"] = $"namespace {ns} is being terminated",
                ["field"] = "metadata.namespace",
            }));

    private static void CheckPrecondition(RequestTarget target, JsonObject obj, long currentRevision)
    {
        if (ObjectDefaults.Str(obj["metadata"]?["resourceVersion"]) is { Length: > 0 } rv && rv != Revision(currentRevision))
        {
            if (!long.TryParse(rv, out _)) throw ApiError.BadRequest($"invalid resourceVersion: \"{rv}\"");
            throw ApiError.Conflict(target.Resource, target.Name!);
        }
    }

    private async Task UpdateAsync(HttpContext context, RequestTarget target)
    {
        var body = await HttpIo.ReadObjectAsync(context.Request).ConfigureAwait(false);
        CheckKind(target.Resource, body);
        var bodyName = ObjectDefaults.Str(body["metadata"]?["name"]);
        if (bodyName != target.Name)
        {
            throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({target.Name})");
        }
        CheckFields(context, target.Resource, body);
        MatchNamespace(target, body);
        var dryRun = DryRun(context);
        if (CreateOnUpdate(target.Resource) && await store.GetAsync(target.Key, null, context.RequestAborted).ConfigureAwait(false) is null)
        {
            try
            {
                var created = await CreateObjectAsync(target.Resource, target.Namespace, body, dryRun, UpdateManager(context), context.RequestAborted)
                    .ConfigureAwait(false);
                await HttpIo.WriteAsync(context, 201, created).ConfigureAwait(false);
                return;
            }
            catch (ApiError e) when (e.Reason == "AlreadyExists")
            {
                // created meanwhile: update it below
            }
        }
        var updated = await ReadModifyWriteAsync(target, (current, revision) =>
        {
            if (current is null) throw ApiError.NotFound(target.Resource, target.Name!);
            CheckPrecondition(target, body, revision);
            var written = StorageVersions.ToStorage(target.Resource, (JsonObject)body.DeepClone(), current);
            var result = ObjectDefaults.Normalized(ObjectDefaults.ForUpdate(target.Resource, current, written, target.Subresource));
            CheckValid(target.Resource, result, current);
            return result;
        }, createIfMissing: false, dryRun, UpdateManager(context), context.RequestAborted).ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 200, updated).ConfigureAwait(false);
    }
}
