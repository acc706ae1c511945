using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Bbolt;
using KvStore.Mvcc;
using KvStore.Mvcc.Backup;
using KvStore.Server.Apply;

namespace KvStore.Etcdctl.Tests;

/// <summary>
/// A store big enough for every shape of bbolt page the writer makes - thousands of leaf pages, two levels of
/// branch pages above them, values larger than a page on overflow pages - written straight from the engine
/// (EtcdBackupWriter, no member) and checked with the real etcdctl 3.4 (snapshot status runs bbolt's Tx.Check) and
/// a real etcd 3.4 started on the restored data dir, which then rewrites those pages itself.
/// </summary>
public sealed class SnapshotBoltBigStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvstore-etcdctl-tests", Guid.NewGuid().ToString("N"));

    public SnapshotBoltBigStoreTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task BigStore_RoundTripsThroughEtcdctlStatusAndRestore()
    {
        const int Small = 15_000, Big = 40;
        const long LeaseId = 0x7a11;
        using MvccStore store = MvccStore.Open(Path.Combine(_dir, "engine"));
        using (TxnWrite tx = store.BeginWrite(0))
        {
            _ = store.Lessor.Grant(tx, new LeaseGrantRequest { ID = LeaseId, TTL = 3600 }, 0).Value;
            tx.End();
        }
        for (int i = 0; i < Small; i++) _ = KvApplier.Put(store, new PutRequest { Key = B($"big/k{i:D6}"), Value = B($"v{i}") }).Value;
        long compactAt = store.CurrentRevision;
        for (int i = 0; i < Small; i += 7) _ = KvApplier.Put(store, new PutRequest { Key = B($"big/k{i:D6}"), Value = B($"w{i}") }).Value;
        for (int i = 3; i < Small; i += 11) _ = KvApplier.DeleteRange(store, new DeleteRangeRequest { Key = B($"big/k{i:D6}") }).Value;
        _ = store.Compact(compactAt - 100).Value;
        var random = new Random(42);
        for (int i = 0; i < Big; i++)
        {
            var value = new byte[4000 + i * 1500]; // from just under a page to 15 pages
            random.NextBytes(value);
            _ = KvApplier.Put(store, new PutRequest { Key = B($"big/v{i:D3}"), Value = ByteString.CopyFrom(value), Lease = i % 5 == 0 ? LeaseId : 0 }).Value;
        }

        string file = Path.Combine(_dir, "bolt.db");
        long size;
        await using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            size = EtcdBackupWriter.Write(store, new BackupCluster([], "3.4.0", []), output);
            output.Position = 0;
            byte[] sha = await SHA256.HashDataAsync(output);
            output.Write(sha);
        }
        Assert.Equal(0, size % BoltWriter.PageSize);
        Assert.Equal(size + 32, new FileInfo(file).Length);
        Assert.Equal(3, KeyBucketDepth(file)); // branch, branch, leaf

        var records = new RecordingVisitor();
        store.ExportState(records);
        long history = records.Keys.Count;
        var status = await Ctl.RunAsync("http://127.0.0.1:1", "snapshot", "status", file, "-w", "json");
        Assert.True(status.Exit == 0, status.ToString());
        JsonElement s = JsonDocument.Parse(status.Out).RootElement;
        Assert.Equal(store.CurrentRevision, s.GetProperty("revision").GetInt64());
        // key history + meta (consistent_index, scheduled/finishedCompactRev) + 1 lease + auth (2) + cluster (1)
        Assert.Equal(history + 3 + 1 + 2 + 1, s.GetProperty("totalKey").GetInt64());
        Assert.Equal(size, s.GetProperty("totalSize").GetInt64());
        Assert.True(history > Small);
        Assert.Equal(ExpectedHash(store, records).ToString("x"), s.GetProperty("hash").GetUInt32().ToString("x"));

        await using var etcd = await RestoredEtcd.StartAsync(file, _dir);
        RangeResponse expected = store.Range(new RangeRequest { Key = B("big/"), RangeEnd = B("big0") }).Value;
        var got = await Ctl.RunAsync(etcd.Url, "get", "big/", "--prefix", "-w", "json");
        Assert.True(got.Exit == 0, got.ToString()[..Math.Min(2000, got.ToString().Length)]);
        JsonElement g = JsonDocument.Parse(got.Out).RootElement;
        Assert.Equal(store.CurrentRevision, g.GetProperty("header").GetProperty("revision").GetInt64());
        var kvs = g.GetProperty("kvs").EnumerateArray().ToList();
        Assert.Equal(expected.Kvs.Count, kvs.Count);
        for (int i = 0; i < kvs.Count; i++)
        {
            Mvccpb.KeyValue want = expected.Kvs[i];
            JsonElement have = kvs[i];
            Assert.Equal(Convert.ToBase64String(want.Key.Span), have.GetProperty("key").GetString());
            Assert.Equal(Convert.ToBase64String(want.Value.Span), have.GetProperty("value").GetString());
            Assert.Equal(want.CreateRevision, have.GetProperty("create_revision").GetInt64());
            Assert.Equal(want.ModRevision, have.GetProperty("mod_revision").GetInt64());
            Assert.Equal(want.Version, have.GetProperty("version").GetInt64());
            Assert.Equal(want.Lease, have.TryGetProperty("lease", out var l) ? l.GetInt64() : 0);
        }
        // History before the compaction is gone, after it kept.
        var old = await Ctl.RunAsync(etcd.Url, "get", "big/k000007", "--rev", (compactAt - 101).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("required revision has been compacted", old.Err, StringComparison.Ordinal);
        var kept = await Ctl.RunAsync(etcd.Url, "get", "big/k000007", "--print-value-only", "--rev", compactAt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("v7\n", kept.Out);
        var lease = await Ctl.RunAsync(etcd.Url, "lease", "timetolive", LeaseId.ToString("x"), "--keys");
        Assert.Contains("granted with TTL(3600s)", lease.Out, StringComparison.Ordinal);
        // etcd lists a lease's keys in Go map order: compare them as a set
        string attached = lease.Out[(lease.Out.IndexOf("attached keys([", StringComparison.Ordinal) + "attached keys([".Length)..];
        Assert.Equal(Enumerable.Range(0, Big).Where(i => i % 5 == 0).Select(i => $"big/v{i:D3}").Order(),
            attached[..attached.IndexOf(']', StringComparison.Ordinal)].Split(' ').Order());

        // etcd rewrites the pages it was given: delete most of it (bbolt merges the full pages), compact, defrag, write.
        var del = await Ctl.RunAsync(etcd.Url, "del", "big/k", "--prefix");
        Assert.Equal($"{expected.Kvs.Count - Big}\n", del.Out);
        Assert.Equal(0, (await Ctl.RunAsync(etcd.Url, "compaction", "--physical", (store.CurrentRevision + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))).Exit);
        Assert.Equal(0, (await Ctl.RunAsync(etcd.Url, "defrag")).Exit);
        Assert.Equal(0, (await Ctl.RunAsync(etcd.Url, "put", "big/after", "x")).Exit);
        var keys = await Ctl.RunAsync(etcd.Url, "get", "big/", "--prefix", "--keys-only");
        Assert.Equal([.. Enumerable.Range(0, Big).Select(i => $"big/v{i:D3}").Prepend("big/after")],
            keys.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Levels of the key bucket's tree, read from the file (meta 0 -> root bucket leaf -> "key" -> first children).</summary>
    private static int KeyBucketDepth(string file)
    {
        byte[] db = File.ReadAllBytes(file);
        Span<byte> Page(long id) => db.AsSpan((int)(id * BoltWriter.PageSize));
        long rootBucketPage = BinaryPrimitives.ReadInt64LittleEndian(Page(0)[(16 + 16)..]);
        Span<byte> root = Page(rootBucketPage);
        Assert.Equal(0x02, BinaryPrimitives.ReadUInt16LittleEndian(root[8..])); // a leaf of buckets
        int count = BinaryPrimitives.ReadUInt16LittleEndian(root[10..]);
        long keyRoot = -1;
        for (int i = 0; i < count; i++)
        {
            Span<byte> e = root[(16 + i * 16)..];
            int pos = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[4..]), ksize = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[8..]);
            if (Encoding.ASCII.GetString(e.Slice(pos, ksize)) == "key") keyRoot = BinaryPrimitives.ReadInt64LittleEndian(e[(pos + ksize)..]);
        }
        Assert.True(keyRoot > 2);
        int depth = 1;
        for (long id = keyRoot; BinaryPrimitives.ReadUInt16LittleEndian(Page(id)[8..]) == 0x01; depth++)
        {
            id = BinaryPrimitives.ReadInt64LittleEndian(Page(id)[(16 + 8)..]); // first branch element's child
        }
        return depth;
    }

    /// <summary>
    /// etcdctl's snapshot status hash (CRC-32C over every bucket name, then each of its keys and values, in bbolt's
    /// order), computed from what the engine hands out and the buckets etcd's layout puts around it.
    /// </summary>
    private static uint ExpectedHash(MvccStore store, RecordingVisitor r)
    {
        static byte[] Be(long v)
        {
            var b = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(b, v);
            return b;
        }
        static byte[] Rev(long main)
        {
            var b = new byte[17];
            BinaryPrimitives.WriteInt64BigEndian(b, main);
            b[8] = (byte)'_';
            return b;
        }
        static byte[] A(string s) => Encoding.ASCII.GetBytes(s);
        var buckets = new SortedDictionary<string, List<(byte[] K, byte[] V)>>(StringComparer.Ordinal)
        {
            ["alarm"] = [],
            ["auth"] = [(A("authEnabled"), [0]), (A("authRevision"), Be(1))],
            ["authRoles"] = [],
            ["authUsers"] = [],
            ["cluster"] = [(A("clusterVersion"), A("3.4.0"))],
            ["key"] = r.Keys,
            ["lease"] = r.Leases,
            ["members"] = [],
            ["members_removed"] = [],
            ["meta"] = [(A("consistent_index"), Be(r.ConsistentIndex)), (A("finishedCompactRev"), Rev(r.CompactRevision)), (A("scheduledCompactRev"), Rev(r.CompactRevision))],
        };
        uint crc = 0;
        foreach ((string name, var entries) in buckets)
        {
            crc = Crc32C(crc, A(name));
            foreach ((byte[] k, byte[] v) in entries)
            {
                crc = Crc32C(crc, k);
                crc = Crc32C(crc, v);
            }
        }
        Assert.Equal(store.CompactRevision, r.CompactRevision);
        return crc;
    }

    private static uint Crc32C(uint crc, byte[] data)
    {
        crc = ~crc;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }

    private sealed class RecordingVisitor : IStateVisitor
    {
        public List<(byte[] K, byte[] V)> Keys { get; } = [];
        public List<(byte[] K, byte[] V)> Leases { get; } = [];
        public long ConsistentIndex { get; private set; }
        public long CompactRevision { get; private set; }

        public void Revisions(long consistentIndex, long currentRevision, long compactRevision) =>
            (ConsistentIndex, CompactRevision) = (consistentIndex, compactRevision);

        public void KeyValue(long main, long sub, bool tombstone, ReadOnlySpan<byte> keyValue)
        {
            var k = new byte[tombstone ? 18 : 17];
            BinaryPrimitives.WriteInt64BigEndian(k, main);
            k[8] = (byte)'_';
            BinaryPrimitives.WriteInt64BigEndian(k.AsSpan(9), sub);
            if (tombstone) k[17] = (byte)'t';
            Keys.Add((k, keyValue.ToArray()));
        }

        public void Lease(long id, ReadOnlySpan<byte> lease)
        {
            var k = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(k, id);
            Leases.Add((k, lease.ToArray()));
        }

        public void Auth(bool enabled, ulong revision, IReadOnlyList<Authpb.User> users, IReadOnlyList<Authpb.Role> roles)
        {
            Assert.False(enabled);
            Assert.Equal(1UL, revision);
            Assert.Empty(users);
            Assert.Empty(roles);
        }
    }
}
