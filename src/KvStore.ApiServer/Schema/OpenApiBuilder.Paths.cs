using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Schema;

/// <summary>The paths of a resource with kube-apiserver's operations (operationId, x-kubernetes-action,
/// x-kubernetes-group-version-kind) and query parameters; kubectl looks for `fieldValidation` on PATCH.</summary>
internal sealed partial class OpenApiBuilder
{
    private static JsonObject Query(string name, string description, string type = "string", bool unique = true)
    {
        var schema = new JsonObject { ["type"] = type };
        if (unique)
            schema["uniqueItems"] = true;
        return new JsonObject { ["name"] = name, ["in"] = "query", ["description"] = description, ["schema"] = schema };
    }

    private static JsonObject PathParam(string name, string description) => new()
    {
        ["name"] = name, ["in"] = "path", ["description"] = description, ["required"] = true,
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };

    private static JsonObject Pretty() => Query("pretty",
        "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool " +
        "(curl and wget).");
    private static JsonObject DryRun() => Query("dryRun",
        "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed");
    private static JsonObject FieldManager() => Query("fieldManager",
        "fieldManager is a name associated with the actor or entity that is making these changes.");
    private static JsonObject FieldValidation() => Query("fieldValidation",
        "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. " +
            "Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, " +
            "and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: " +
            "This will send a warning via the standard warning response header for each unknown field that is dropped from the object, " +
            "and for each duplicate field that is encountered. The request will still succeed if there are no other errors, " +
            "and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: " +
            "This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, " +
            "or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.");

    private static JsonArray ListParams() =>
    [
        Query("allowWatchBookmarks", "allowWatchBookmarks requests watch events with type \"BOOKMARK\".", "boolean"),
        Query("continue", "The continue option should be set when retrieving more results from the server."),
        Query("fieldSelector", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
        Query("labelSelector", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
        Query("limit", "limit is a maximum number of responses to return for a list call.", "integer"),
        Query("resourceVersion", "resourceVersion sets a constraint on what resource versions a request may be served from."),
        Query("resourceVersionMatch", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
        Query("sendInitialEvents", "`sendInitialEvents=true` may be set together with `watch=true`.", "boolean"),
        Query("timeoutSeconds", "Timeout for the list/watch call.", "integer"),
        Query("watch", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.",
            "boolean"),
    ];

    private static JsonArray DeleteParams() =>
    [
        DryRun(),
        Query("gracePeriodSeconds", "The duration in seconds before the object should be deleted.", "integer"),
        Query("ignoreStoreReadErrorWithClusterBreakingPotential",
            "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error.",
            "boolean"),
        Query("orphanDependents", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.", "boolean"),
        Query("propagationPolicy", "Whether and how garbage collection will be performed."),
    ];

    private static string GroupPart(ResourceInfo r)
    {
        var g = r.Group.Length == 0 ? "core" : r.Group.Split('.')[0];
        return char.ToUpperInvariant(g[0]) + g[1..] + char.ToUpperInvariant(r.Version[0]) + r.Version[1..];
    }

    private static string Tag(ResourceInfo r) => (r.Group.Length == 0 ? "core" : r.Group.Split('.')[0]) + "_" + r.Version;

    private static JsonObject Content(JsonObject schema, params string[] types)
    {
        var content = new JsonObject();
        foreach (var t in types)
            content[t] = new JsonObject { ["schema"] = schema.DeepClone() };
        return content;
    }

    private static readonly string[] ResponseTypes =
        ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf", "application/cbor"];

    private static JsonObject Responses(string def, params string[] codes)
    {
        var responses = new JsonObject();
        foreach (var code in codes)
            responses[code] = new JsonObject
            {
                ["description"] = code switch { "201" => "Created", "202" => "Accepted", _ => "OK" },
                ["content"] = Content(Ref(def), ResponseTypes),
            };
        responses["401"] = new JsonObject { ["description"] = "Unauthorized" };
        return responses;
    }

    private static JsonObject Operation(ResourceInfo r, string id, string description, string action, JsonArray parameters,
        JsonObject responses, JsonObject? body = null, (string Group, string Version, string Kind)? gvk = null)
    {
        var (g, v, k) = gvk ?? (r.Group, r.Version, r.Kind);
        var op = new JsonObject
        {
            ["tags"] = new JsonArray(Tag(r)),
            ["description"] = description,
            ["operationId"] = id,
            ["parameters"] = parameters,
        };
        if (body is not null)
            op["requestBody"] = body;
        op["responses"] = responses;
        op["x-kubernetes-action"] = action;
        op["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = g, ["version"] = v, ["kind"] = k };
        return op;
    }

    private static JsonObject Body(string def, params string[] types) =>
        new() { ["content"] = Content(Ref(def), types), ["required"] = true };

    private void AddPaths(ResourceInfo r, JsonObject paths)
    {
        var def = DefinitionOf(r);
        var listDef = def + "List";
        var gp = GroupPart(r);
        var scope = r.Namespaced ? "Namespaced" : "";
        var collection = r.Namespaced ? $"{r.GroupVersionPath}/namespaces/{{namespace}}/{r.Resource}" : $"{r.GroupVersionPath}/{r.Resource}";
        var nsParam = r.Namespaced ? new[] { PathParam("namespace", "object name and auth scope, such as for teams and projects") } : [];
        var canDeleteCollection = r.Verbs.Contains("deletecollection");

        var coll = new JsonObject
        {
            ["get"] = Operation(r, $"list{gp}{scope}{r.Kind}", $"list or watch objects of kind {r.Kind}", "list", ListParams(),
                Responses(listDef, "200")),
            ["post"] = Operation(r, $"create{gp}{scope}{r.Kind}", $"create {Article(r.Kind)}", "post",
                [DryRun(), FieldManager(), FieldValidation()], Responses(def, "200", "201", "202"), Body(def, "*/*")),
        };
        if (canDeleteCollection)
            coll["delete"] = Operation(r, $"deletecollection{gp}{scope}{r.Kind}", $"delete collection of {r.Kind}", "deletecollection",
                [.. ListParams().Select(p => p!.DeepClone()), .. DeleteParams().Select(p => p!.DeepClone())], Responses(MetaPrefix + "Status", "200"),
                Body(MetaPrefix + "DeleteOptions", "*/*"));
        coll["parameters"] = new JsonArray([.. nsParam.Select(p => (JsonNode)p.DeepClone()), Pretty()]);
        paths[collection] = coll;

        var item = ItemOperations(r, def, $"{gp}{scope}{r.Kind}", r.Kind, includeDelete: true);
        item["parameters"] = new JsonArray([PathParam("name", $"name of the {r.Kind}"), .. nsParam.Select(p => (JsonNode)p.DeepClone()), Pretty()]);
        paths[collection + "/{name}"] = item;

        if (r.Namespaced)
        {
            paths[$"{r.GroupVersionPath}/{r.Resource}"] = new JsonObject
            {
                ["get"] = Operation(r, $"list{gp}{r.Kind}ForAllNamespaces", $"list or watch objects of kind {r.Kind}", "list",
                    ListParams(), Responses(listDef, "200")),
                ["parameters"] = new JsonArray(Pretty()),
            };
        }

        foreach (var sub in r.Subresources)
        {
            if (sub is not ("status" or "scale"))
                continue;
            var subDef = sub == "scale" ? "io.k8s.api.autoscaling.v1.Scale" : def;
            var gvk = sub == "scale" ? ("autoscaling", "v1", "Scale") : (r.Group, r.Version, r.Kind);
            var subOps = ItemOperations(r, subDef, $"{gp}{scope}{r.Kind}{char.ToUpperInvariant(sub[0])}{sub[1..]}",
                $"{sub} of the specified {r.Kind}", includeDelete: false, gvk);
            subOps["parameters"] = new JsonArray([PathParam("name", $"name of the {(sub == "scale" ? "Scale" : r.Kind)}"),
                .. nsParam.Select(p => (JsonNode)p.DeepClone()), Pretty()]);
            paths[$"{collection}/{{name}}/{sub}"] = subOps;
        }
    }

    private static JsonObject ItemOperations(ResourceInfo r, string def, string idSuffix, string what, bool includeDelete,
        (string, string, string)? gvk = null)
    {
        var ops = new JsonObject
        {
            ["get"] = Operation(r, $"read{idSuffix}", $"read the specified {what}", "get", [], Responses(def, "200"), gvk: gvk),
            ["put"] = Operation(r, $"replace{idSuffix}", $"replace the specified {what}", "put",
                [DryRun(), FieldManager(), FieldValidation()], Responses(def, "200", "201"), Body(def, "*/*"), gvk),
        };
        if (includeDelete)
            ops["delete"] = Operation(r, $"delete{idSuffix}", $"delete {Article(r.Kind)}", "delete", DeleteParams(),
                Responses(MetaPrefix + "Status", "200", "202"), Body(MetaPrefix + "DeleteOptions", "*/*"), gvk);
        ops["patch"] = Operation(r, $"patch{idSuffix}", $"partially update the specified {what}", "patch",
            [DryRun(), FieldManager(), FieldValidation(), Query("force", "Force is going to \"force\" Apply requests.", "boolean")],
            Responses(def, "200", "201"),
            Body(MetaPrefix + "Patch", "application/json-patch+json", "application/merge-patch+json",
                "application/strategic-merge-patch+json", "application/apply-patch+yaml", "application/apply-patch+cbor"), gvk);
        return ops;
    }

    private static string Article(string kind) => ("AEIOU".Contains(kind[0]) ? "an " : "a ") + kind;
}
