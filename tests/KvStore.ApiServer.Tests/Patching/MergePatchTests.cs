using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;

namespace KvStore.ApiServer.Tests.Patching;

public sealed class MergePatchTests
{
    // RFC 7386 appendix A, and the kubectl patch --type merge cases
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    [InlineData("""{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b"}]}}""", """{"spec":{"containers":[{"name":"a","image":"y"}]}}""",
        """{"spec":{"containers":[{"name":"a","image":"y"}]}}""")]
    public void MergesObjectsAndReplacesEverythingElse(string original, string patch, string expected)
    {
        var input = JsonNode.Parse(original)!;
        JsonAssert.Equal(expected, Patcher.ApplyMergePatch(input, JsonNode.Parse(patch)!));
        JsonAssert.Equal(original, input);
    }

    [Fact]
    public void ThroughTheContentTypeDispatch()
    {
        var result = Patcher.Apply("application/merge-patch+json; charset=utf-8", JsonAssert.Obj("""{"metadata":{"labels":{"a":"1"}}}"""),
            """{"metadata":{"labels":{"a":null,"b":"2"}}}""", null);
        JsonAssert.Equal("""{"metadata":{"labels":{"b":"2"}}}""", result);
        Assert.True(Assert.Throws<PatchException>(() => Patcher.Apply(Patcher.MergePatch, [], "{not json", null)).BadRequest);
    }
}
