using Etcdserverpb;
using KvStore.Storage;
using Mvccpb;
using static KvStore.Mvcc.Tests.Rules.RuleStore;
using SortOrder = Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Etcdserverpb.RangeRequest.Types.SortTarget;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// Ranges over records that sit in the log file (a 32 KB in-memory log under ~400 KB of records) answer as a
/// single-key Get of each key does: the batched read of many records against the one-record read
/// (<see cref="OnDiskRangeByScanTests"/>: the one pass over the log a range over many records takes).
/// </summary>
public class OnDiskRangeTests : IDisposable
{
    private const int KeyCount = 1200;
    private readonly TempDir _dir = new();
    private readonly MvccStore _store;
    private readonly long _midRev;

    public OnDiskRangeTests() : this(rangeScanAtLeast: null)
    {
    }

    /// <param name="rangeScanAtLeast">MvccOptions.RangeScanAtLeast; null keeps the default.</param>
    protected OnDiskRangeTests(int? rangeScanAtLeast)
    {
        MvccOptions options = OptionsFor(Path.Combine(_dir.Path, "store"));
        _store = MvccStore.Open(options with
        {
            RangeScanAtLeast = rangeScanAtLeast ?? options.RangeScanAtLeast,
            Storage = new StorageOptions
            {
                Directory = Path.Combine(options.Directory, "engine"),
                IndexBuckets = 1L << 12,
                MemorySizeBits = 15,
                PageSizeBits = 12,
                SegmentSizeBits = 16,
            },
        });
        _store.LeaseGrant(new LeaseGrantRequest { ID = 1, TTL = 100 }, nowMs: 0);
        for (int i = 0; i < KeyCount; i++) Put(Key(i), i % 13 == 0 ? 1 : 0);
        _midRev = _store.CurrentRevision;
        for (int i = 0; i < KeyCount; i += 7) Put(Key(i), 0);
        for (int i = 0; i < KeyCount; i += 11) Server.Apply.KvApplier.DeleteRange(_store, DelReq(Key(i)));
    }

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    private static string Key(int i) => $"k{i:D4}";

    private void Put(string key, long lease)
    {
        string value = $"{key}@{_store.CurrentRevision + 1}:".PadRight(300, (char)('a' + (key.GetHashCode() & 15)));
        Server.Apply.KvApplier.Put(_store, PutReq(key, value, lease));
    }

    /// <summary>Each key's key-value at rev through the single-key path, in key order.</summary>
    private List<KeyValue> OneByOne(long rev)
    {
        var kvs = new List<KeyValue>();
        for (int i = 0; i < KeyCount; i++) kvs.AddRange(_store.Range(RangeReq(Key(i), rev: rev)).Value.Kvs);
        return kvs;
    }

    public static TheoryData<string> Requests => new() { "all", "limit", "rev", "rev-limit", "count", "keys", "value-desc", "mod-min",
        "create-desc-rev", "version-max-create" };

    [Theory]
    [MemberData(nameof(Requests))]
    public void RangeOverRecordsOnDiskAnswersAsSingleKeyGets(string name)
    {
        var r = RangeReq("k", "l");
        switch (name)
        {
            case "limit": r.Limit = 10; break;
            case "rev": r.Revision = _midRev; break;
            case "rev-limit": r.Revision = _midRev; r.Limit = 1100; break;
            case "count": r.CountOnly = true; break;
            case "keys": r.KeysOnly = true; r.Limit = 700; break;
            case "value-desc": r.SortTarget = SortTarget.Value; r.SortOrder = SortOrder.Descend; r.Limit = 5; break;
            case "mod-min": r.SortTarget = SortTarget.Mod; r.MinModRevision = _midRev + 1; break;
            case "create-desc-rev": r.Revision = _midRev; r.SortTarget = SortTarget.Create; r.SortOrder = SortOrder.Descend; break;
            case "version-max-create": r.SortTarget = SortTarget.Version; r.MaxCreateRevision = _midRev / 2; r.Limit = 3; break;
        }
        RangeResponse got = _store.Range(r).Value;

        List<KeyValue> visible = OneByOne(r.Revision);
        Assert.True(visible.Count > 1000, $"{visible.Count} keys visible");
        IEnumerable<KeyValue> want = visible.Where(kv =>
            (r.MinModRevision == 0 || kv.ModRevision >= r.MinModRevision) && (r.MaxCreateRevision == 0 || kv.CreateRevision <= r.MaxCreateRevision));
        Func<KeyValue, IComparable> by = r.SortTarget switch
        {
            SortTarget.Value => kv => kv.Value.ToStringUtf8(),
            SortTarget.Mod => kv => kv.ModRevision,
            SortTarget.Create => kv => kv.CreateRevision,
            SortTarget.Version => kv => kv.Version,
            _ => kv => kv.Key.ToStringUtf8(),
        };
        want = r.SortOrder == SortOrder.Descend ? want.OrderByDescending(by) : want.OrderBy(by);
        List<KeyValue> wantList = r.CountOnly ? [] : want.ToList();

        Assert.Equal(visible.Count, got.Count);
        Assert.Equal(r.Limit > 0 && wantList.Count > r.Limit, got.More);
        if (r.Limit > 0) wantList = wantList.Take((int)r.Limit).ToList();
        if (r.KeysOnly) wantList = wantList.Select(kv => new KeyValue(kv) { Value = Google.Protobuf.ByteString.Empty }).ToList();
        Assert.Equal(wantList.Select(Text), got.Kvs.Select(Text));
        Assert.Equal(wantList, got.Kvs); // every field, the lease too
    }

    [Fact]
    public void SingleKeyGetsReadWhatWasWritten()
    {
        List<KeyValue> now = OneByOne(0);
        Assert.Equal(KeyCount - (KeyCount + 10) / 11, now.Count);
        foreach (KeyValue kv in now)
        {
            Assert.StartsWith($"{kv.Key.ToStringUtf8()}@{kv.ModRevision}:", kv.Value.ToStringUtf8());
            Assert.Equal(300, kv.Value.Length);
        }
        Assert.Contains(OneByOne(_midRev), kv => kv.Lease == 1);
    }
}

/// <summary>The same ranges read by one pass over the log (MvccOptions.RangeScanAtLeast lowered below the test's key count).</summary>
public sealed class OnDiskRangeByScanTests() : OnDiskRangeTests(rangeScanAtLeast: 100);
