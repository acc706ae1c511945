using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Tests;

public sealed class CatalogTests
{
    [Fact]
    public void EveryResourceHasOneKindAndUniqueShortNames()
    {
        // the versions of one resource are one kind over one store prefix, with one set of names
        foreach (var versions in ResourceCatalog.All.GroupBy(r => (r.Group, r.Resource)))
        {
            Assert.Equal(versions.Count(), versions.Select(r => r.Version).Distinct().Count());
            Assert.Single(versions.Select(r => (r.Kind, r.KeyPrefix, string.Join(",", r.ShortNames))).Distinct());
        }
        var shortNames = ResourceCatalog.All.DistinctBy(r => (r.Group, r.Resource)).SelectMany(r => r.ShortNames).ToList();
        Assert.Equal(shortNames.Count, shortNames.Distinct().Count());
        Assert.Equal("/registry/pods/", ResourceCatalog.Find("", "v1", "pods")!.KeyPrefix);
        Assert.Equal("apps/v1", ResourceCatalog.FindByKind("apps/v1", "Deployment")!.ApiVersion);
    }
}
