using System.Text.Json.Nodes;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Printing;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Tests;

/// <summary>Kinds registered at run time reach the catalog lookups, discovery, OpenAPI, validation and printing of one
/// served set, and leave them when unregistered; the built-in set takes no registrations.</summary>
public sealed class ServedResourcesTests
{
    /// <summary>The smallest runtime kind: an open schema with one known field, one printer column, one rule.</summary>
    private sealed class Widget : IRuntimeKind
    {
        public FieldSchema Schema { get; } = new()
        {
            Type = FieldType.Object,
            Definition = "com.example.v1.Widget",
            Properties = new Dictionary<string, FieldSchema>
            {
                ["apiVersion"] = new() { Type = FieldType.String },
                ["kind"] = new() { Type = FieldType.String },
                ["metadata"] = SchemaRegistry.ObjectMeta,
                ["size"] = new() { Type = FieldType.Integer },
            },
        };

        public JsonObject? OpenApiDefinition() => new() { ["type"] = "object", ["description"] = "a widget" };

        public Printer? Printer { get; } = new([TableColumn.Name_(), new("Size", "integer", "the size")],
            (o, _) => new PrintedRow([o["metadata"]?["name"]?.GetValue<string>(), (long?)o["size"]]));

        public IReadOnlyList<string> UnknownFields(JsonObject obj) => obj.Where(p => !Schema.Properties.ContainsKey(p.Key))
            .Select(p => $"unknown field \"{p.Key}\"").ToList();

        public void Prepare(JsonObject obj, JsonObject? old) => obj["size"] ??= 1;

        public void Validate(JsonObject obj, JsonObject? old, List<FieldCause> errors)
        {
            if ((long?)obj["size"] < 0)
                errors.Add(new FieldCause("FieldValueInvalid", "Invalid value: -1: must be positive", "size"));
        }
    }

    private static ResourceInfo Widgets(string version) =>
        new("example.com", version, "widgets", "Widget", true, "widget", ["wd"], ["all"])
        {
            StoragePrefix = "example.com/widgets",
            Runtime = new Widget(),
        };

    [Fact]
    public void ARegisteredKindIsServedEverywhereUntilUnregistered()
    {
        var served = new ServedResources();
        served.Register("widgets.example.com", [Widgets("v1beta1"), Widgets("v1")]);

        Assert.Equal([("example.com", "v1"), ("example.com", "v1beta1")], served.GroupVersions.Where(gv => gv.Group == "example.com"));
        var target = RequestTarget.Parse("/apis/example.com/v1/namespaces/ns/widgets/w", served)!;
        Assert.Equal("/registry/example.com/widgets/ns/w", target.Key);
        Assert.Null(RequestTarget.Parse("/apis/example.com/v1/namespaces/ns/widgets/w"));

        var groups = Discovery.AggregatedGroups(served)["items"]!.AsArray();
        var group = groups.Single(g => g!["metadata"]!["name"]!.GetValue<string>() == "example.com")!;
        Assert.Equal(["v1", "v1beta1"], group["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()));
        Assert.Equal("example.com/v1", Discovery.LegacyGroup("example.com", served)!["preferredVersion"]!["groupVersion"]!.GetValue<string>());
        Assert.Equal("wd", Discovery.ResourceList("example.com", "v1", served)!["resources"]![0]!["shortNames"]![0]!.GetValue<string>());

        var doc = OpenApi.Document("apis/example.com/v1", served)!;
        Assert.Equal("a widget", doc["components"]!["schemas"]!["com.example.v1.Widget"]!["description"]!.GetValue<string>());
        Assert.NotNull(doc["components"]!["schemas"]!["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]);
        Assert.NotNull(doc["paths"]!["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]);
        var hash = OpenApi.Hash("apis/example.com/v1", served);

        var resource = served.Find("example.com", "v1", "widgets")!;
        Assert.Equal(["unknown field \"color\""], SchemaRegistry.UnknownFields(resource, new JsonObject { ["color"] = "red" }));
        var bad = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "w" }, ["size"] = -1L };
        Assert.Equal("size", Assert.Single(SchemaRegistry.Validate(resource, bad, null)).Field);
        var table = TableConvertor.ToTable(resource, [new JsonObject { ["metadata"] = new JsonObject { ["name"] = "w" }, ["size"] = 3L }], "None", DateTimeOffset.UnixEpoch);
        Assert.Equal("Size", table["columnDefinitions"]![1]!["name"]!.GetValue<string>());
        Assert.Equal(3, table["rows"]![0]!["cells"]![1]!.GetValue<long>());

        // a changed registration is a new document with a new hash; unregistering stops serving
        served.Register("widgets.example.com", [Widgets("v1") with { Namespaced = false }]);
        Assert.NotEqual(hash, OpenApi.Hash("apis/example.com/v1", served));
        Assert.NotNull(OpenApi.Document("apis/example.com/v1", served)!["paths"]!["/apis/example.com/v1/widgets/{name}"]);
        Assert.Null(served.Find("example.com", "v1beta1", "widgets"));
        served.Unregister("widgets.example.com");
        Assert.Null(served.Find("example.com", "v1", "widgets"));
        Assert.Null(OpenApi.Document("apis/example.com/v1", served));
        Assert.DoesNotContain("example.com", Discovery.LegacyGroups(served).ToJsonString());
        Assert.Throws<InvalidOperationException>(() => ServedResources.BuiltIn.Register("x", [Widgets("v1")]));
    }

    [Theory]
    [InlineData("v1,v2,v1beta1,v10,v1alpha1,v11alpha2,foo1,v2beta1,foo10", "v10,v2,v1,v2beta1,v1beta1,v11alpha2,v1alpha1,foo1,foo10")]
    public void VersionsSortAsKubeDoes(string versions, string expected) =>
        Assert.Equal(expected, string.Join(",", versions.Split(',').Order(KubeVersions.ByPriority)));
}
