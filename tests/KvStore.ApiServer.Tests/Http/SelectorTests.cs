using System.Text.Json.Nodes;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Tests.Http;

public sealed class SelectorTests
{
    private static readonly JsonObject Pod = JsonNode.Parse("""
        {"metadata":{"name":"p","namespace":"ns","labels":{"app":"web","tier":"front"}},
         "spec":{"nodeName":"n1","hostNetwork":true},"status":{"phase":"Running"}}
        """)!.AsObject();

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app!=web", false)]
    [InlineData("app!=db", true)]
    [InlineData("missing!=x", true)]
    [InlineData("app in (web,db)", true)]
    [InlineData("app in (db)", false)]
    [InlineData("app notin (db, cache)", true)]
    [InlineData("missing notin (db)", true)]
    [InlineData("app", true)]
    [InlineData("!app", false)]
    [InlineData("!missing", true)]
    [InlineData("app=web,tier=front", true)]
    [InlineData("app=web,tier=back", false)]
    [InlineData("app in (web),!missing,tier", true)]
    public void LabelSelectorMatchesAsKubesDoes(string selector, bool matches) =>
        Assert.Equal(matches, LabelSelector.Parse(selector).Matches(Pod));

    [Theory]
    [InlineData("app in (web")]
    [InlineData("a b=c")]
    [InlineData("app=we b")]
    public void MalformedLabelSelectorsAreBadRequests(string selector) =>
        Assert.Equal(400, Assert.Throws<ApiError>(() => LabelSelector.Parse(selector)).Code);

    [Theory]
    [InlineData("metadata.name=p", true)]
    [InlineData("metadata.name==p", true)]
    [InlineData("metadata.name!=p", false)]
    [InlineData("metadata.namespace=ns,spec.nodeName=n1", true)]
    [InlineData("status.phase=Pending", false)]
    [InlineData("spec.hostNetwork=true", true)]
    [InlineData("spec.nodeName=", false)]
    public void FieldSelectorMatchesPods(string selector, bool matches) =>
        Assert.Equal(matches, FieldSelector.Parse(selector, ResourceCatalog.Find("", "v1", "pods")!).Matches(Pod));

    [Fact]
    public void UnsupportedFieldsAreRefusedPerResource()
    {
        var error = Assert.Throws<ApiError>(() => FieldSelector.Parse("spec.nodeName=x", ResourceCatalog.Find("", "v1", "configmaps")!));
        Assert.Equal((400, "field label not supported: spec.nodeName"), (error.Code, error.Message));
        Assert.Equal("x", FieldSelector.Parse("metadata.name=x", ResourceCatalog.Find("", "v1", "configmaps")!).SingleName);
    }

    [Theory]
    [InlineData("/api/v1/pods", "pods", null, null, null)]
    [InlineData("/api/v1/namespaces/ns/pods/p/log", "pods", "ns", "p", "log")]
    [InlineData("/api/v1/namespaces/ns", "namespaces", null, "ns", null)]
    [InlineData("/api/v1/namespaces/ns/status", "namespaces", null, "ns", "status")]
    [InlineData("/api/v1/nodes/n1", "nodes", null, "n1", null)]
    [InlineData("/apis/apps/v1/namespaces/ns/deployments/d/scale", "deployments", "ns", "d", "scale")]
    [InlineData("/apis/apps/v1/deployments", "deployments", null, null, null)]
    public void ResourcePathsParse(string path, string resource, string? ns, string? name, string? subresource)
    {
        var target = RequestTarget.Parse(path)!;
        Assert.Equal((resource, ns, name, subresource), (target.Resource.Resource, target.Namespace, target.Name, target.Subresource));
    }

    [Theory]
    [InlineData("/api/v1/pods/p")] // a namespaced object needs its namespace
    [InlineData("/apis/apps/v1/pods")]
    [InlineData("/api/v2/pods")]
    [InlineData("/api/v1/namespaces/ns/pods/p/log/extra")]
    public void OtherPathsAreNotResources(string path) => Assert.Null(RequestTarget.Parse(path));

    [Fact]
    public void ClusterIpRangeSkipsNetworkAndBroadcast()
    {
        var range = ClusterIpRange.Parse("10.96.0.0/12");
        Assert.Equal("10.96.0.1", range.At(0));
        Assert.Equal((1L << 20) - 2, range.Count);
        Assert.True(range.Contains("10.111.255.254", out _));
        Assert.False(range.Contains("10.112.0.0", out _));
        Assert.False(range.Contains("10.96.0.0", out _));
        Assert.Throws<FormatException>(() => ClusterIpRange.Parse("fd00::/108"));
    }
}
