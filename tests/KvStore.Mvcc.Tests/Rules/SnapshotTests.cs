using Etcdserverpb;
using KvStore.Server.Apply;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// Snapshot rules (etcd sends a member its whole backend as a raft snapshot, and etcdctl snapshot save/restore
/// checks the sha256 at its end): Export then Import gives the same store, and a damaged stream is refused.
/// </summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly RuleStore _s = new();
    private readonly TempDir _dir = new();

    public SnapshotTests()
    {
        _s.Grant(1, 60);
        _s.Grant(2, 30, nowMs: 0);
        _s.Put("a", "1", lease: 1); // 2
        _s.Put("b", "1"); // 3
        _s.Put("a", "2", lease: 1); // 4
        _s.Delete("b"); // 5
        _s.Put("c", "1", lease: 2); // 6
        _ = _s.Store.Compact(3).Value;
        _ = TxnApplier.Txn(_s.Store, Txn(success: [OpPut("d", "1"), OpPut("e", "1")]), index: 7).Value; // 7, consistent index 7
    }

    public void Dispose()
    {
        _s.Dispose();
        _dir.Dispose();
    }

    private byte[] Export()
    {
        using var ms = new MemoryStream();
        _s.Store.Export(ms);
        return ms.ToArray();
    }

    private MvccStore Import(byte[] snapshot, string name) =>
        MvccStore.Import(new MemoryStream(snapshot), OptionsFor(Path.Combine(_dir.Path, name)));

    private static string Leases(MvccStore s) => string.Join("|", s.Lessor.Leases().Leases.Select(l => l.ID).Order().Select(id =>
    {
        LeaseTimeToLiveResponse r = s.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = id, Keys = true }, 0).Value;
        return $"{id} ttl{r.GrantedTTL} [{string.Join(",", r.Keys.Select(k => k.ToStringUtf8()))}]";
    }));

    [Fact]
    public void RoundTrip_GivesEqualHashKV_Ranges_Leases_AndRevisions()
    {
        // etcd snapshot restore: the restored member has the same kv history, leases and revisions.
        using MvccStore copy = Import(Export(), "copy");
        Assert.Equal(_s.Rev, copy.CurrentRevision);
        Assert.Equal(3, copy.CompactRevision);
        Assert.Equal(7, copy.ConsistentIndex);
        Assert.Equal(_s.Store.HashKV(0).Value.Hash, copy.HashKV(0).Value.Hash);
        Assert.Equal(_s.Store.Hash().Hash, copy.Hash().Hash);
        for (long rev = 3; rev <= _s.Rev; rev++)
        {
            Assert.Equal(_s.Dump(rev), DumpOf(copy, rev));
            Assert.Equal(_s.Store.HashKV(rev).Error, copy.HashKV(rev).Error);
            if (rev > 3) Assert.Equal(_s.Store.HashKV(rev).Value.Hash, copy.HashKV(rev).Value.Hash);
        }
        Assert.Equal(MvccError.Compacted, copy.Range(RangeReq("a", rev: 2)).Error);
        Assert.Equal("1 ttl60 [a]|2 ttl30 [c]", Leases(copy));
        Assert.Equal(Leases(_s.Store), Leases(copy));

        // both go on alike
        foreach (MvccStore s in new[] { _s.Store, copy })
        {
            _ = KvApplier.Put(s, PutReq("f", "1", 2), index: 8).Value;
            _ = s.LeaseRevoke(2, index: 9).Value;
        }
        Assert.Equal(_s.Store.HashKV(0).Value.Hash, copy.HashKV(0).Value.Hash);
        Assert.Equal(_s.Dump(), DumpOf(copy));
        Assert.Equal(MvccError.AlreadyApplied, KvApplier.Put(copy, PutReq("x", "1"), index: 9).Error);
    }

    [Fact]
    public void ImportedStore_SurvivesReopen()
    {
        // etcd snapshot restore writes a complete backend that opens like any other.
        string dir = Path.Combine(_dir.Path, "reopen");
        byte[] snap = Export();
        MvccStore.Import(new MemoryStream(snap), OptionsFor(dir)).Dispose();
        using MvccStore again = MvccStore.Open(OptionsFor(dir));
        Assert.Equal(_s.Store.HashKV(0).Value.Hash, again.HashKV(0).Value.Hash);
        Assert.Equal(7, again.ConsistentIndex);
        Assert.Equal(Leases(_s.Store), Leases(again));
    }

    [Fact]
    public void CorruptedByte_AnywhereInTheStream_IsInvalidDataException()
    {
        // etcdctl snapshot restore refuses a snapshot whose sha256 does not match; every damaged byte, wherever
        // it lands (header, tag, length, record, lease, end mark, checksum), must be refused the same way.
        byte[] snap = Export();
        var failures = new List<string>();
        for (int pos = 0; pos < snap.Length; pos++)
        {
            byte[] bad = (byte[])snap.Clone();
            bad[pos] ^= (byte)(pos % 2 == 0 ? 0x01 : 0x80);
            string name = $"bad{pos}";
            try
            {
                Import(bad, name).Dispose();
                failures.Add($"{pos}: imported");
            }
            catch (InvalidDataException)
            {
                // refused as it should be
            }
            catch (Exception e)
            {
                failures.Add($"{pos}: {e.GetType().Name}");
            }
        }
        Assert.True(failures.Count == 0, $"{snap.Length} bytes; not refused with InvalidDataException: {string.Join("; ", failures)}");
    }

    [Fact]
    public void TruncatedStream_IsInvalidDataException()
    {
        // etcd snapshot restore: a cut snapshot fails its integrity check.
        byte[] snap = Export();
        foreach (int len in new[] { 0, 4, 12, 40, snap.Length / 2, snap.Length - 33, snap.Length - 1 })
        {
            Assert.Throws<InvalidDataException>(() => Import(snap[..len], $"short{len}").Dispose());
        }
    }

    [Fact]
    public void ImportIntoAFolderThatHoldsAStore_IsRefused()
    {
        // etcdctl snapshot restore refuses a data dir that already exists.
        Assert.Throws<IOException>(() => MvccStore.Import(new MemoryStream(Export()), _s.Options));
    }
}
