using System.Text.Json.Nodes;
using KvStore.ApiServer.Printing;
using KvStore.ApiServer.Resources;
using static KvStore.ApiServer.Tests.Printing.TableTestKit;

namespace KvStore.ApiServer.Tests.Printing;

/// <summary>The Table envelope kubectl reads: columns, one cell per column, row objects per includeObject.</summary>
public sealed class TableShapeTests
{
    [Fact]
    public void EveryCatalogResourceHasKubesPrinterAndSurvivesABareObject()
    {
        foreach (var resource in ResourceCatalog.All)
        {
            // kube has no printer for roles, clusterroles and limitranges: they get Name / Created At
            Assert.True(TableConvertor.HasPrinter(resource) || resource.Resource is "roles" or "clusterroles" or "limitranges", resource.Resource);
            var bare = JsonNode.Parse("""{"metadata":{"name":"x"}}""")!.AsObject();
            var table = TableConvertor.ToTable(resource, [bare, JsonNode.Parse("{}")!.AsObject()], "Metadata", Now);
            var columns = table["columnDefinitions"]!.AsArray();
            foreach (var row in table["rows"]!.AsArray())
                Assert.Equal(columns.Count, row!["cells"]!.AsArray().Count);
            foreach (var c in columns)
            {
                // kube serialises every field of TableColumnDefinition (no omitempty).
                Assert.Equal(["name", "type", "format", "description", "priority"], c!.AsObject().Select(p => p.Key));
                Assert.Contains((string)c["type"]!, new[] { "string", "integer", "date", "boolean", "number" });
                Assert.False(string.IsNullOrEmpty((string)c["description"]!), $"{resource.Resource} {c["name"]}");
            }
        }
    }

    [Fact]
    public void PodTableHasKubesColumnsWithWideOnesAtPriorityOne()
    {
        var table = Table("", "pods", """{"metadata":{"name":"web"}}""");
        Assert.Equal("Table", (string)table["kind"]!);
        Assert.Equal("meta.k8s.io/v1", (string)table["apiVersion"]!);
        Assert.NotNull(table["metadata"]);
        var columns = table["columnDefinitions"]!.AsArray();
        Assert.Equal(
            ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"],
            columns.Select(c => (string)c!["name"]!));
        Assert.Equal([0, 0, 0, 0, 0, 1, 1, 1, 1], columns.Select(c => (int)c!["priority"]!));
        Assert.Equal("name", (string)columns[0]!["format"]!);
        Assert.Equal("", (string)columns[1]!["format"]!);
        Assert.StartsWith("Name must be unique within a namespace.", (string)columns[0]!["description"]!);
        Assert.StartsWith("CreationTimestamp is a timestamp", (string)columns[4]!["description"]!);
    }

    [Fact]
    public void RowObjectFollowsIncludeObject()
    {
        const string pod = """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default","labels":{"app":"web"},
             "resourceVersion":"42","uid":"u1"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}
            """;
        var meta = Table("", "pods", pod)["rows"]![0]!["object"]!.AsObject();
        Assert.Equal("PartialObjectMetadata", (string)meta["kind"]!);
        Assert.Equal("meta.k8s.io/v1", (string)meta["apiVersion"]!);
        Assert.Equal("default", (string)meta["metadata"]!["namespace"]!);
        Assert.Equal("web", (string)meta["metadata"]!["labels"]!["app"]!);
        Assert.Equal("42", (string)meta["metadata"]!["resourceVersion"]!);
        Assert.Null(meta["spec"]);

        var whole = Table("", "pods", pod, "Object")["rows"]![0]!["object"]!.AsObject();
        Assert.Equal("Pod", (string)whole["kind"]!);
        Assert.Equal("nginx", (string)whole["spec"]!["containers"]![0]!["image"]!);

        var none = Table("", "pods", pod, "None")["rows"]![0]!.AsObject();
        Assert.True(none.ContainsKey("object"));
        Assert.Null(none["object"]);
    }

    [Fact]
    public void RowsKeepTheOrderOfTheObjects()
    {
        var objects = new[] { "b", "a", "c" }
            .Select(n => JsonNode.Parse($$"""{"metadata":{"name":"{{n}}","creationTimestamp":"{{Ago(TimeSpan.FromMinutes(5))}}"} }""")!.AsObject())
            .ToList();
        var table = TableConvertor.ToTable(Resource("", "configmaps"), objects, "Metadata", Now);
        Assert.Equal(["b", "a", "c"], table["rows"]!.AsArray().Select(r => (string)r!["cells"]![0]!));
        Assert.Empty(TableConvertor.ToTable(Resource("", "configmaps"), [], "Metadata", Now)["rows"]!.AsArray());
    }

    [Fact]
    public void AResourceWithoutAPrinterGetsKubesDefaultColumns()
    {
        var custom = new ResourceInfo("example.com", "v1", "widgets", "Widget", true, "widget", [], []);
        var table = TableConvertor.ToTable(custom,
            [JsonNode.Parse("""{"metadata":{"name":"w","creationTimestamp":"2025-12-31T00:00:00Z"}}""")!.AsObject()], "Metadata", Now);
        Assert.Equal(["Name", "Created At"], table["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal("date", (string)table["columnDefinitions"]![1]!["type"]!);
        Assert.Equal("2025-12-31T00:00:00Z", (string)table["rows"]![0]!["cells"]![1]!);
    }
}
