using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.CustomResources;

/// <summary>The names of a CRD (spec.names, or status.acceptedNames once the server accepted them).</summary>
internal sealed record CrdNames(string Plural, string Singular, string Kind, string ListKind, IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories)
{
    public static CrdNames Read(JsonNode? names) => new(
        Crd.Str(names, "plural") ?? "", Crd.Str(names, "singular") ?? "", Crd.Str(names, "kind") ?? "", Crd.Str(names, "listKind") ?? "",
        Crd.Strings(names, "shortNames"), Crd.Strings(names, "categories"));

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["plural"] = Plural, ["singular"] = Singular };
        if (ShortNames.Count > 0)
            o["shortNames"] = new JsonArray(ShortNames.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
        o["kind"] = Kind;
        o["listKind"] = ListKind;
        if (Categories.Count > 0)
            o["categories"] = new JsonArray(Categories.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
        return o;
    }
}

/// <summary>A printer column (spec.versions[].additionalPrinterColumns[]).</summary>
internal sealed record CrdColumn(string Name, string Type, string Format, string? Description, int Priority, string JsonPath);

/// <summary>The scale subresource's paths (".spec.replicas", ".status.replicas", ".status.selector" or none).</summary>
internal sealed record CrdScale(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);

/// <summary>One entry of spec.versions.</summary>
internal sealed record CrdVersion(string Name, bool Served, bool Storage, JsonObject? Schema, bool Status, CrdScale? Scale,
    IReadOnlyList<CrdColumn> Columns, bool Deprecated, string? DeprecationWarning);

/// <summary>
/// A CustomResourceDefinition (apiextensions.k8s.io/v1) as the server reads it: its spec and the status the server keeps.
/// </summary>
internal sealed record Crd(string Name, string Uid, string Group, string Scope, CrdNames Names, IReadOnlyList<CrdVersion> Versions,
    CrdNames? AcceptedNames, bool Established, bool Terminating, string ConversionStrategy)
{
    public bool Namespaced => Scope == "Namespaced";

    public CrdVersion? StorageVersion => Versions.FirstOrDefault(v => v.Storage);

    public static Crd Read(JsonObject obj)
    {
        var spec = obj["spec"];
        var status = obj["status"];
        var accepted = status?["acceptedNames"] is JsonObject names && Str(names, "plural") is { Length: > 0 } ? CrdNames.Read(names) : null;
        var conditions = (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        bool IsTrue(string type) => conditions.Any(c => Str(c, "type") == type && Str(c, "status") == "True");
        return new Crd(
            Str(obj["metadata"], "name") ?? "",
            Str(obj["metadata"], "uid") ?? "",
            Str(spec, "group") ?? "",
            Str(spec, "scope") ?? "",
            CrdNames.Read(spec?["names"]),
            (spec?["versions"] as JsonArray ?? []).OfType<JsonObject>().Select(ReadVersion).ToList(),
            accepted,
            IsTrue("Established"),
            IsTrue("Terminating"),
            Str(spec?["conversion"], "strategy") ?? "None");
    }

    private static CrdVersion ReadVersion(JsonObject v)
    {
        var scale = v["subresources"]?["scale"] is JsonObject s
            ? new CrdScale(Str(s, "specReplicasPath") ?? "", Str(s, "statusReplicasPath") ?? "", Str(s, "labelSelectorPath"))
            : null;
        var columns = (v["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>().Select(c => new CrdColumn(
            Str(c, "name") ?? "", Str(c, "type") ?? "", Str(c, "format") ?? "", Str(c, "description"),
            JsonValues.TryInteger(c["priority"], out var p) ? (int)p : 0, Str(c, "jsonPath") ?? "")).ToList();
        return new CrdVersion(
            Str(v, "name") ?? "",
            v["served"]?.GetValueKind() == JsonValueKind.True,
            v["storage"]?.GetValueKind() == JsonValueKind.True,
            v["schema"]?["openAPIV3Schema"] as JsonObject,
            v["subresources"]?["status"] is JsonObject,
            scale,
            columns,
            v["deprecated"]?.GetValueKind() == JsonValueKind.True,
            Str(v, "deprecationWarning"));
    }

    internal static string? Str(JsonNode? node, string name) => node is JsonObject o ? JsonValues.String(o[name]) : null;

    internal static IReadOnlyList<string> Strings(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonArray a ? a.Select(JsonValues.String).OfType<string>().ToList() : [];
}
