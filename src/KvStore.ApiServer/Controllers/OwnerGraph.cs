using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Storage.Cache;

namespace KvStore.ApiServer.Controllers;

/// <summary>An object as the garbage collector knows it (kube's graph node).</summary>
internal sealed record ObjectNode(string Uid, ResourceInfo Resource, string? Namespace, string Name, IReadOnlyList<OwnerRef> Owners,
    bool Deleting, bool DeletingDependents, bool Orphaning);

/// <summary>
/// The garbage collector's view of every object (kube's GraphBuilder graph): nodes by uid and, for each owner uid, the
/// uids of the objects that name it in ownerReferences (the owner need not exist). Thread-safe: the watch caches'
/// reflectors update it concurrently.
/// </summary>
internal sealed class OwnerGraph
{
    private readonly Dictionary<string, ObjectNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _dependents = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Adds or replaces a node; returns the one it replaced.</summary>
    public ObjectNode? Put(ObjectNode node)
    {
        lock (_lock)
        {
            _nodes.TryGetValue(node.Uid, out var old);
            if (old is not null) Unlink(old);
            _nodes[node.Uid] = node;
            foreach (var owner in node.Owners)
            {
                if (!_dependents.TryGetValue(owner.Uid, out var set)) _dependents[owner.Uid] = set = new(StringComparer.Ordinal);
                set.Add(node.Uid);
            }
            return old;
        }
    }

    public ObjectNode? Remove(string uid)
    {
        lock (_lock)
        {
            if (!_nodes.Remove(uid, out var old)) return null;
            Unlink(old);
            return old;
        }
    }

    private void Unlink(ObjectNode node)
    {
        foreach (var owner in node.Owners)
        {
            if (_dependents.TryGetValue(owner.Uid, out var set) && set.Remove(node.Uid) && set.Count == 0) _dependents.Remove(owner.Uid);
        }
    }

    public ObjectNode? Get(string uid)
    {
        lock (_lock) return _nodes.GetValueOrDefault(uid);
    }

    public bool Contains(string uid)
    {
        lock (_lock) return _nodes.ContainsKey(uid);
    }

    /// <summary>The objects naming <paramref name="ownerUid"/> as an owner.</summary>
    public List<ObjectNode> DependentsOf(string ownerUid)
    {
        lock (_lock)
        {
            return _dependents.TryGetValue(ownerUid, out var set) ? [.. set.Select(uid => _nodes[uid])] : [];
        }
    }

    public List<ObjectNode> All()
    {
        lock (_lock) return [.. _nodes.Values];
    }
}
