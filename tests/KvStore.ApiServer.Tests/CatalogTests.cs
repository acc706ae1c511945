using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Tests;

public sealed class CatalogTests
{
    [Fact]
    public void EveryResourceHasOneKindAndUniqueShortNames()
    {
        Assert.Equal(ResourceCatalog.All.Count, ResourceCatalog.All.Select(r => (r.Group, r.Resource)).Distinct().Count());
        var shortNames = ResourceCatalog.All.SelectMany(r => r.ShortNames).ToList();
        Assert.Equal(shortNames.Count, shortNames.Distinct().Count());
        Assert.Equal("/registry/pods/", ResourceCatalog.Find("", "v1", "pods")!.KeyPrefix);
        Assert.Equal("apps/v1", ResourceCatalog.FindByKind("apps/v1", "Deployment")!.ApiVersion);
    }
}
