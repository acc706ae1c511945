using System.Collections.Immutable;

namespace KvStore.ApiServer.Resources;

/// <summary>
/// The resources one apiserver serves: the built-in <see cref="ResourceCatalog"/> followed by kinds registered at run time
/// (a CRD's versions, registered under the CRD's name). A reader sees one consistent set: each change swaps the whole list.
/// Runtime resources come after the built-in ones, by group, then version priority (<see cref="KubeVersions"/>), then name.
/// </summary>
public sealed class ServedResources
{
    private sealed record Snapshot(IReadOnlyList<ResourceInfo> All, ImmutableSortedDictionary<string, IReadOnlyList<ResourceInfo>> ByOwner);

    private readonly bool _frozen;
    private readonly Lock _writers = new();
    private Snapshot _current = new(ResourceCatalog.All, ImmutableSortedDictionary.Create<string,
        IReadOnlyList<ResourceInfo>>(StringComparer.Ordinal));

    public ServedResources()
    {
    }

    private ServedResources(bool frozen) => _frozen = frozen;

    /// <summary>The built-in resources alone, for callers that serve no runtime kinds (it refuses registrations).</summary>
    public static ServedResources BuiltIn { get; } = new(frozen: true);

    /// <summary>Every served resource, built-in first, in discovery order.</summary>
    public IReadOnlyList<ResourceInfo> All => Volatile.Read(ref _current).All;

    /// <summary>Group-versions in discovery order ("" group first; a group's preferred version first).</summary>
    public IEnumerable<(string Group, string Version)> GroupVersions => All.Select(r => (r.Group, r.Version)).Distinct();

    public ResourceInfo? Find(string group, string version, string resource) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Resource == resource);

    /// <summary>By apiVersion ("v1", "apps/v1") and kind, as found in a manifest.</summary>
    public ResourceInfo? FindByKind(string apiVersion, string kind) =>
        All.FirstOrDefault(r => r.ApiVersion == apiVersion && r.Kind == kind);

    /// <summary>The resources registered by <paramref name="owner"/>, empty when none.</summary>
    public IReadOnlyList<ResourceInfo> Of(string owner) => Volatile.Read(ref _current).ByOwner.GetValueOrDefault(owner) ?? [];

    /// <summary>After a registration, the resources (by storage prefix and apiVersion) no longer served: their watch caches go.</summary>
    public event Action<IReadOnlyList<ResourceInfo>>? Removed;

    /// <summary>Serves <paramref name="resources"/> for <paramref name="owner"/>, replacing what it served before (empty: stops).</summary>
    public void Register(string owner, IReadOnlyList<ResourceInfo> resources)
    {
        if (_frozen)
            throw new InvalidOperationException("the built-in resource set takes no registrations");
        List<ResourceInfo> removed;
        lock (_writers)
        {
            removed = Of(owner).Where(old => !resources.Any(r => r.KeyPrefix == old.KeyPrefix && r.ApiVersion == old.ApiVersion)).ToList();
            var byOwner = resources.Count == 0 ? _current.ByOwner.Remove(owner) : _current.ByOwner.SetItem(owner, [.. resources]);
            var runtime = byOwner.Values.SelectMany(r => r)
                .OrderBy(r => r.Group, StringComparer.Ordinal)
                .ThenBy(r => r.Version, KubeVersions.ByPriority)
                .ThenBy(r => r.Resource, StringComparer.Ordinal);
            Volatile.Write(ref _current, new Snapshot([.. ResourceCatalog.All, .. runtime], byOwner));
        }
        if (removed.Count > 0) Removed?.Invoke(removed);
    }

    /// <summary>Stops serving what <paramref name="owner"/> registered.</summary>
    public void Unregister(string owner) => Register(owner, []);
}
