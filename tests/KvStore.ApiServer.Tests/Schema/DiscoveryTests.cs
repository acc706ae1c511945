using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Tests.Schema;

public sealed class DiscoveryTests
{
    private static JsonObject Resource(JsonObject list, string group, string name) =>
        list["items"]!.AsArray().Select(i => i!.AsObject())
            .Single(i => (i["metadata"]?["name"]?.GetValue<string>() ?? "") == group)["versions"]![0]!["resources"]!
            .AsArray().Select(r => r!.AsObject()).Single(r => r["resource"]!.GetValue<string>() == name);

    [Fact]
    public void AggregatedCoreCarriesWhatKubectlNeeds()
    {
        var core = Discovery.AggregatedCore();
        Assert.Equal("APIGroupDiscoveryList", core["kind"]!.GetValue<string>());
        Assert.Equal("apidiscovery.k8s.io/v2", core["apiVersion"]!.GetValue<string>());
        Assert.Single(core["items"]!.AsArray());
        var pods = Resource(core, "", "pods");
        Assert.Equal("Pod", pods["responseKind"]!["kind"]!.GetValue<string>());
        Assert.Equal("Namespaced", pods["scope"]!.GetValue<string>());
        Assert.Equal(["po"], pods["shortNames"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["all"], pods["categories"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("watch", pods["verbs"]!.AsArray().Select(n => n!.GetValue<string>()));
        var status = pods["subresources"]!.AsArray().Single(s => s!["subresource"]!.GetValue<string>() == "status")!;
        Assert.Equal(["get", "patch", "update"], status["verbs"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("Cluster", Resource(core, "", "nodes")["scope"]!.GetValue<string>());
        Assert.DoesNotContain("deletecollection", Resource(core, "", "namespaces")["verbs"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void AggregatedGroupsListEveryNamedGroupAndScaleAsAutoscalingV1()
    {
        var groups = Discovery.AggregatedGroups();
        var names = groups["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["apps", "autoscaling", "batch", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
            "coordination.k8s.io", "discovery.k8s.io"], names);
        var deploy = Resource(groups, "apps", "deployments");
        Assert.Equal(["deploy"], deploy["shortNames"]!.AsArray().Select(n => n!.GetValue<string>()));
        var scale = deploy["subresources"]!.AsArray().Single(s => s!["subresource"]!.GetValue<string>() == "scale")!;
        Assert.Equal("autoscaling", scale["responseKind"]!["group"]!.GetValue<string>());
        Assert.Equal("Scale", scale["responseKind"]!["kind"]!.GetValue<string>());
        Assert.Equal("v2", groups["items"]![1]!["versions"]![0]!["version"]!.GetValue<string>()); // autoscaling
        Assert.DoesNotContain("metrics.k8s.io", names);
    }

    [Fact]
    public void LegacyDocuments()
    {
        var api = Discovery.LegacyCoreVersions("127.0.0.1:8080");
        Assert.Equal("APIVersions", api["kind"]!.GetValue<string>());
        Assert.Equal("v1", api["versions"]![0]!.GetValue<string>());
        Assert.Equal("127.0.0.1:8080", api["serverAddressByClientCIDRs"]![0]!["serverAddress"]!.GetValue<string>());

        var apis = Discovery.LegacyGroups();
        Assert.Equal("APIGroupList", apis["kind"]!.GetValue<string>());
        var apps = apis["groups"]!.AsArray().Single(g => g!["name"]!.GetValue<string>() == "apps")!;
        Assert.Equal("apps/v1", apps["preferredVersion"]!["groupVersion"]!.GetValue<string>());
        Assert.Equal("autoscaling/v2", Discovery.LegacyGroup("autoscaling")!["preferredVersion"]!["groupVersion"]!.GetValue<string>());
        Assert.Null(Discovery.LegacyGroup("certificates.k8s.io"));

        var v1 = Discovery.ResourceList("", "v1")!;
        Assert.Equal("APIResourceList", v1["kind"]!.GetValue<string>());
        Assert.Equal("v1", v1["groupVersion"]!.GetValue<string>());
        var names = v1["resources"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("pods", names);
        Assert.Contains("pods/log", names);
        var eviction = v1["resources"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "pods/eviction")!;
        Assert.Equal("policy", eviction["group"]!.GetValue<string>());
        Assert.Equal("apps/v1", Discovery.ResourceList("apps", "v1")!["groupVersion"]!.GetValue<string>());
        Assert.Null(Discovery.ResourceList("certificates.k8s.io", "v1"));
        Assert.Null(Discovery.ResourceList("apps", "v2"));
    }

    [Fact]
    public void EveryCatalogResourceIsDiscoverable()
    {
        foreach (var r in ResourceCatalog.All)
        {
            var list = r.Group.Length == 0 ? Discovery.AggregatedCore() : Discovery.AggregatedGroups();
            Assert.Equal(r.Kind, Resource(list, r.Group, r.Resource)["responseKind"]!["kind"]!.GetValue<string>());
        }
    }
}
