using KvStore.Storage;

namespace KvStore.Mvcc.Index;

/// <summary>
/// One generation of a key: from its creation to its deletion (a tombstone, the last revision of every
/// generation but the newest). <see cref="Version"/> counts every revision the generation ever had, so it
/// stays right after compaction drops the older revisions.
/// </summary>
internal sealed class Generation
{
    public long Version;
    public Revision Created;
    public readonly List<Revision> Revisions = new(1);

    public bool IsEmpty => Revisions.Count == 0;
    public Revision Last => Revisions[^1];
}

/// <summary>
/// The revisions of one key, as generations (etcd's keyIndex). Not thread-safe: the store's lock guards it.
/// </summary>
internal sealed class KeyIndex
{
    public KeyIndex(byte[] key)
    {
        Key = key;
        Generations.Add(new Generation());
    }

    public byte[] Key { get; }
    public Revision Modified { get; private set; }
    public List<Generation> Generations { get; } = new(1);

    /// <summary>No revisions at all (every generation compacted away).</summary>
    public bool IsEmpty => Generations.Count == 1 && Generations[0].IsEmpty;

    /// <summary>The key is live now (its newest generation has revisions).</summary>
    public bool IsLive => !Generations[^1].IsEmpty;

    public void Put(Revision rev)
    {
        if (rev <= Modified) throw new InvalidOperationException($"put at {rev} not after {Modified}");
        Generation g = Generations[^1];
        if (g.IsEmpty) g.Created = rev;
        g.Revisions.Add(rev);
        g.Version++;
        Modified = rev;
    }

    /// <summary>Rebuild after recovery: the first revision kept of a generation, with its stored create/version.</summary>
    public void Restore(Revision created, Revision modified, long version)
    {
        Generation g = Generations[^1];
        g.Created = created;
        g.Version = version;
        g.Revisions.Add(modified);
        Modified = modified;
    }

    /// <summary>Ends the current generation at <paramref name="rev"/>. False when the key is not live.</summary>
    public bool Tombstone(Revision rev)
    {
        if (!IsLive) return false;
        Put(rev);
        Generations.Add(new Generation());
        return true;
    }

    /// <summary>The revision visible at <paramref name="atRev"/>, its creation and version; false if none.</summary>
    public bool TryGet(long atRev, out Revision modified, out Revision created, out long version)
    {
        Generation? g = FindGeneration(atRev);
        if (g is not null)
        {
            for (int n = g.Revisions.Count - 1; n >= 0; n--)
            {
                if (g.Revisions[n].Main <= atRev)
                {
                    modified = g.Revisions[n];
                    created = g.Created;
                    version = g.Version - (g.Revisions.Count - n - 1);
                    return true;
                }
            }
        }
        modified = created = default;
        version = 0;
        return false;
    }

    private Generation? FindGeneration(long rev)
    {
        int last = Generations.Count - 1;
        for (int cg = last; cg >= 0; cg--)
        {
            Generation g = Generations[cg];
            if (g.IsEmpty) continue;
            if (cg != last && g.Last.Main <= rev) return null; // deleted at or before rev
            if (g.Revisions[0].Main <= rev) return g;
        }
        return null;
    }

    /// <summary>
    /// Drops the revisions compaction at <paramref name="atRev"/> no longer needs: everything at or below it but
    /// the newest revision of the generation live at atRev. Adds every dropped revision to <paramref name="dropped"/>.
    /// </summary>
    public void Compact(long atRev, List<Revision> dropped)
    {
        int genIdx = 0;
        while (genIdx < Generations.Count - 1 && Generations[genIdx].Last.Main <= atRev)
        {
            dropped.AddRange(Generations[genIdx].Revisions);
            genIdx++;
        }
        Generation g = Generations[genIdx];
        int keep = -1;
        for (int i = g.Revisions.Count - 1; i >= 0; i--)
        {
            if (g.Revisions[i].Main <= atRev) { keep = i; break; }
        }
        if (keep > 0)
        {
            dropped.AddRange(g.Revisions.GetRange(0, keep));
            g.Revisions.RemoveRange(0, keep);
        }
        // A non-newest generation left with a single revision (its tombstone) is over: drop it too.
        if (g.Revisions.Count == 1 && genIdx != Generations.Count - 1)
        {
            if (g.Revisions[0].Main <= atRev) dropped.Add(g.Revisions[0]);
            genIdx++;
        }
        if (genIdx > 0) Generations.RemoveRange(0, genIdx);
    }

    /// <summary>
    /// etcd's keyIndex.keep: the revision a compaction at <paramref name="atRev"/> would keep for this key (the
    /// newest at or below it in the generation live then), unless that is a tombstone.
    /// </summary>
    public bool TryKeep(long atRev, out Revision kept)
    {
        kept = default;
        int genIdx = 0;
        while (genIdx < Generations.Count - 1 && Generations[genIdx].Last.Main <= atRev) genIdx++;
        Generation g = Generations[genIdx];
        for (int i = g.Revisions.Count - 1; i >= 0; i--)
        {
            if (g.Revisions[i].Main > atRev) continue;
            if (i == g.Revisions.Count - 1 && genIdx != Generations.Count - 1) return false; // a tombstone
            kept = g.Revisions[i];
            return true;
        }
        return false;
    }

    /// <summary>Every revision (oldest first) with main revision in [from, to].</summary>
    public void CollectRevisions(long from, long to, List<Revision> into)
    {
        foreach (Generation g in Generations)
        {
            foreach (Revision r in g.Revisions)
            {
                if (r.Main >= from && r.Main <= to) into.Add(r);
            }
        }
    }
}
