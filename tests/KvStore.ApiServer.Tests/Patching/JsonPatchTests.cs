using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;

namespace KvStore.ApiServer.Tests.Patching;

public sealed class JsonPatchTests
{
    private const string Pod = """{"metadata":{"name":"p","labels":{"app":"web","a/b":"1"}},"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}}""";

    public static TheoryData<string, string, string> Cases => new()
    {
        { "replace", """[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:1.27"}]""",
          """{"metadata":{"name":"p","labels":{"app":"web","a/b":"1"}},"spec":{"containers":[{"name":"a","image":"nginx:1.27"},{"name":"b","image":"y"}]}}""" },
        { "add appends with -", """[{"op":"add","path":"/spec/containers/-","value":{"name":"c"}}]""",
          """{"metadata":{"name":"p","labels":{"app":"web","a/b":"1"}},"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"},{"name":"c"}]}}""" },
        { "add inserts at index", """[{"op":"add","path":"/spec/containers/0","value":{"name":"z"}}]""",
          """{"metadata":{"name":"p","labels":{"app":"web","a/b":"1"}},"spec":{"containers":[{"name":"z"},{"name":"a","image":"x"},{"name":"b","image":"y"}]}}""" },
        { "remove with ~1 escape", """[{"op":"remove","path":"/metadata/labels/a~1b"}]""",
          """{"metadata":{"name":"p","labels":{"app":"web"}},"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}}""" },
        { "test then move", """[{"op":"test","path":"/metadata/labels/app","value":"web"},{"op":"move","from":"/metadata/labels/app","path":"/metadata/labels/role"}]""",
          """{"metadata":{"name":"p","labels":{"role":"web","a/b":"1"}},"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}}""" },
        { "copy", """[{"op":"copy","from":"/spec/containers/1","path":"/spec/containers/0"}]""",
          """{"metadata":{"name":"p","labels":{"app":"web","a/b":"1"}},"spec":{"containers":[{"name":"b","image":"y"},{"name":"a","image":"x"},{"name":"b","image":"y"}]}}""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AppliesOperationsInOrder(string name, string patch, string expected)
    {
        _ = name;
        var original = JsonNode.Parse(Pod)!;
        var result = Patcher.ApplyJsonPatch(original, JsonNode.Parse(patch)!.AsArray());
        JsonAssert.Equal(expected, result);
        JsonAssert.Equal(Pod, original); // the input is not modified
    }

    [Theory]
    [InlineData("""[{"op":"test","path":"/metadata/name","value":"q"}]""", "testing value /metadata/name failed")]
    [InlineData("""[{"op":"remove","path":"/metadata/missing"}]""", "remove operation does not apply")]
    [InlineData("""[{"op":"replace","path":"/spec/containers/5/image","value":"x"}]""", "replace operation does not apply")]
    [InlineData("""[{"op":"add","path":"/nope/x","value":1}]""", "add operation does not apply")]
    public void AFailingOperationFailsThePatch(string patch, string message)
    {
        var e = Assert.Throws<PatchException>(() => Patcher.ApplyJsonPatch(JsonNode.Parse(Pod)!, JsonNode.Parse(patch)!.AsArray()));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.False(e.BadRequest);
    }

    [Fact]
    public void AMalformedOperationIsABadRequest()
    {
        var e = Assert.Throws<PatchException>(() => Patcher.ApplyJsonPatch(JsonNode.Parse(Pod)!, JsonNode.Parse("""[{"op":"jump","path":"/x"}]""")!.AsArray()));
        Assert.True(e.BadRequest);
        Assert.Throws<PatchException>(() => Patcher.Apply(Patcher.JsonPatch, JsonAssert.Obj(Pod), """{"op":"add"}""", null));
    }

    [Fact]
    public void NumbersCompareByValueInTest()
    {
        var result = Patcher.ApplyJsonPatch(JsonNode.Parse("""{"spec":{"replicas":3}}""")!,
            JsonNode.Parse("""[{"op":"test","path":"/spec/replicas","value":3.0},{"op":"replace","path":"/spec/replicas","value":4}]""")!.AsArray());
        JsonAssert.Equal("""{"spec":{"replicas":4}}""", result);
    }
}
