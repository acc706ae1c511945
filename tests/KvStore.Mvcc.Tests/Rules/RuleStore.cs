using Etcdserverpb;
using Google.Protobuf;
using KvStore.Server.Apply;
using KvStore.Storage;
using Mvccpb;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// A real <see cref="MvccStore"/> on its own temp folder, small FASTER sizing so many can run side by side,
/// plus the request builders the rule tables use. Reopen() closes the store (clean close) and opens the same
/// folder again.
/// </summary>
public sealed class RuleStore : IDisposable
{
    private readonly TempDir _dir = new();

    public RuleStore(int maxTxnOps = 128, long minLeaseTtl = 2)
    {
        Options = OptionsFor(Path.Combine(_dir.Path, "store"), maxTxnOps, minLeaseTtl);
        Store = MvccStore.Open(Options);
    }

    public MvccOptions Options { get; }

    public MvccStore Store { get; private set; }

    public string Root => _dir.Path;

    /// <summary>Small but real FASTER sizing (a 4 MB in-memory log, a tiny hash index).</summary>
    public static MvccOptions OptionsFor(string directory, int maxTxnOps = 128, long minLeaseTtl = 2) => new()
    {
        Directory = directory,
        MaxTxnOps = maxTxnOps,
        MinLeaseTtl = minLeaseTtl,
        Storage = new StorageOptions
        {
            Directory = Path.Combine(directory, "engine"),
            IndexBuckets = 1L << 12,
            MemorySizeBits = 22,
            PageSizeBits = 18,
            SegmentSizeBits = 22,
        },
    };

    public void Reopen()
    {
        Store.Dispose();
        Store = MvccStore.Open(Options);
    }

    public void Dispose()
    {
        Store.Dispose();
        _dir.Dispose();
    }

    // ---- shorthands on the store ----

    public long Rev => Store.CurrentRevision;

    public PutResponse Put(string key, string value, long lease = 0) => KvApplier.Put(Store, PutReq(key, value, lease)).Value;

    public DeleteRangeResponse Delete(string key, string? end = null) => KvApplier.DeleteRange(Store, DelReq(key, end)).Value;

    public RangeResponse Get(string key, string? end = null, long rev = 0) => Store.Range(RangeReq(key, end, rev)).Value;

    /// <summary>The key-value of one key at rev (0: current), or null.</summary>
    public KeyValue? One(string key, long rev = 0) => Get(key, rev: rev).Kvs.SingleOrDefault();

    public long Grant(long id, long ttl, long nowMs = 0) =>
        Store.LeaseGrant(new LeaseGrantRequest { ID = id, TTL = ttl }, nowMs: nowMs).Value.ID;

    /// <summary>Every live key-value (key, value, create, mod, version, lease) as text, in key order.</summary>
    public string Dump(long rev = 0) => DumpOf(Store, rev);

    public static string DumpOf(MvccStore store, long rev = 0)
    {
        RangeResponse r = store.Range(new RangeRequest { Key = B("\0"), RangeEnd = B("\0"), Revision = rev }).Value;
        return string.Join("\n", r.Kvs.Select(Text));
    }

    public static string Text(KeyValue kv) =>
        $"{kv.Key.ToStringUtf8()}={kv.Value.ToStringUtf8()} c{kv.CreateRevision} m{kv.ModRevision} v{kv.Version} l{kv.Lease}";

    // ---- request builders ----

    public static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public static PutRequest PutReq(string key, string value, long lease = 0) =>
        new() { Key = B(key), Value = B(value), Lease = lease };

    public static DeleteRangeRequest DelReq(string key, string? end = null, bool prevKv = false) =>
        new() { Key = B(key), RangeEnd = end is null ? ByteString.Empty : B(end), PrevKv = prevKv };

    public static RangeRequest RangeReq(string key, string? end = null, long rev = 0) =>
        new() { Key = B(key), RangeEnd = end is null ? ByteString.Empty : B(end), Revision = rev };

    public static RequestOp OpPut(string key, string value, long lease = 0) => new() { RequestPut = PutReq(key, value, lease) };

    public static RequestOp OpDel(string key, string? end = null) => new() { RequestDeleteRange = DelReq(key, end) };

    public static RequestOp OpGet(string key, string? end = null, long rev = 0) => new() { RequestRange = RangeReq(key, end, rev) };

    public static RequestOp OpTxn(TxnRequest txn) => new() { RequestTxn = txn };

    public static TxnRequest Txn(IEnumerable<Compare>? compare = null, IEnumerable<RequestOp>? success = null,
        IEnumerable<RequestOp>? failure = null)
    {
        var t = new TxnRequest();
        if (compare is not null) t.Compare.AddRange(compare);
        if (success is not null) t.Success.AddRange(success);
        if (failure is not null) t.Failure.AddRange(failure);
        return t;
    }

    public static string Keys(RangeResponse r) => string.Join(",", r.Kvs.Select(kv => kv.Key.ToStringUtf8()));

    public static string Keys(IEnumerable<Event> events) =>
        string.Join(",", events.Select(e => $"{(e.Type == Event.Types.EventType.Put ? "PUT" : "DEL")} {e.Kv.Key.ToStringUtf8()}"));
}
