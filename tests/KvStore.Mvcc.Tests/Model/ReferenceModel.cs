using Etcdserverpb;
using Google.Protobuf;
using Mvccpb;

namespace KvStore.Mvcc.Tests.Model;

/// <summary>
/// A deliberately naive, independent model of etcd v3.4's key-value semantics, the oracle of the randomized
/// model test. It follows etcdserver/apply.go (Range, Put, DeleteRange, Txn, Compaction, leases) and
/// mvcc/kvstore_txn.go (revisions and response header revisions) and shares no code with the engine.
/// The whole history is one list of records in revision order and is never compacted: compaction only moves
/// <see cref="CompactRev"/>, below which reads fail. Every read is brute force over the history.
/// </summary>
internal sealed class ReferenceModel(int maxTxnOps, long minLeaseTtl)
{
    /// <summary>One change: a put (Kv set) or a deletion (Kv null) of Key at revision (Main, Sub).</summary>
    public sealed record Rec(long Main, long Sub, byte[] Key, KeyValue? Kv);

    /// <summary>etcd's MaxLeaseTTL.</summary>
    public const long MaxLeaseTtl = 9_000_000_000;

    private static readonly Comparer<byte[]> ByteOrder = Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b));

    private readonly List<Rec> _history = [];
    private readonly Dictionary<string, List<Rec>> _byKey = []; // the same records, per key (hex)
    private readonly SortedSet<byte[]> _keys = new(ByteOrder); // every key ever written, in byte order
    private readonly SortedDictionary<long, long> _leases = new(); // id -> granted TTL

    /// <summary>etcd: an empty store is at revision 1; the first write makes 2.</summary>
    public long CurrentRev { get; private set; } = 1;

    /// <summary>etcd: -1 until the first compaction.</summary>
    public long CompactRev { get; private set; } = -1;

    public IReadOnlyList<Rec> History => _history;

    public IEnumerable<long> LeaseIds => _leases.Keys;


    /// <summary>The key-value of <paramref name="key"/> visible at <paramref name="rev"/> (newest record at or below it), null if none.</summary>
    public KeyValue? Visible(ReadOnlySpan<byte> key, long rev)
    {
        if (!_byKey.TryGetValue(Convert.ToHexString(key), out List<Rec>? recs)) return null;
        for (int i = recs.Count - 1; i >= 0; i--)
        {
            if (recs[i].Main <= rev) return recs[i].Kv;
        }
        return null;
    }

    /// <summary>Whether compaction at <paramref name="compactRev"/> keeps <paramref name="rec"/>: only the newest live version of a key at or below it survives.</summary>
    public bool SurvivesCompaction(Rec rec, long compactRev)
    {
        if (rec.Kv is null || rec.Main > compactRev) return rec.Main > compactRev;
        List<Rec> recs = _byKey[Convert.ToHexString(rec.Key)];
        Rec? newest = recs.LastOrDefault(r => r.Main <= compactRev);
        return ReferenceEquals(newest, rec);
    }

    /// <summary>Whether key lies in etcd's request range (empty end: the key itself; "\0": every key >= key).</summary>
    public static bool InRange(byte[] k, ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd)
    {
        if (rangeEnd.Length == 0) return k.AsSpan().SequenceEqual(key);
        if (k.AsSpan().SequenceCompareTo(key) < 0) return false;
        if (rangeEnd.Length == 1 && rangeEnd[0] == 0) return true;
        return k.AsSpan().SequenceCompareTo(rangeEnd) < 0;
    }

    /// <summary>Key-values visible at rev in the range, in key order (clones).</summary>
    private List<KeyValue> VisibleIn(ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd, long rev)
    {
        var kvs = new List<KeyValue>();
        foreach (byte[] k in Candidates(key, rangeEnd))
        {
            if (!InRange(k, key, rangeEnd)) continue;
            KeyValue? kv = Visible(k, rev);
            if (kv is not null) kvs.Add(kv.Clone());
        }
        return kvs;
    }

    /// <summary>A superset of the keys in the range (the keys between its bounds); InRange decides.</summary>
    private IEnumerable<byte[]> Candidates(ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd)
    {
        if (_keys.Count == 0) return [];
        byte[] from = key.ToArray();
        if (rangeEnd.Length == 0) return _keys.Contains(from) ? [from] : [];
        byte[] to = rangeEnd.Length == 1 && rangeEnd[0] == 0 ? _keys.Max! : rangeEnd.ToArray();
        return ByteOrder.Compare(from, to) <= 0 ? _keys.GetViewBetween(from, to) : [];
    }

    // ---------------------------------------------------------------- writes within one revision

    /// <summary>etcd's storeTxnWrite: changes go to revision Begin + 1; reads see the txn's own changes.</summary>
    private sealed class WriteView(long begin)
    {
        public long Begin { get; } = begin;
        public int Changes;
        public long Rev => Begin + 1;
        public long ReadRev => Changes > 0 ? Begin + 1 : Begin;
    }

    private void Append(WriteView view, byte[] key, KeyValue? kv)
    {
        var rec = new Rec(view.Rev, view.Changes++, key, kv);
        _history.Add(rec);
        if (!_byKey.TryGetValue(Convert.ToHexString(key), out List<Rec>? recs))
        {
            _byKey[Convert.ToHexString(key)] = recs = [];
            _keys.Add(key);
        }
        recs.Add(rec);
    }

    private void End(WriteView view)
    {
        if (view.Changes > 0) CurrentRev = view.Rev;
    }

    /// <summary>storeTxnWrite.put: create revision and version continue the key's generation when it is live.</summary>
    private long PutRaw(WriteView view, byte[] key, ByteString value, long lease)
    {
        long rev = view.Rev;
        KeyValue? existing = Visible(key, rev);
        var kv = new KeyValue
        {
            Key = ByteString.CopyFrom(key),
            Value = value,
            CreateRevision = existing?.CreateRevision ?? rev,
            ModRevision = rev,
            Version = (existing?.Version ?? 0) + 1,
            Lease = lease,
        };
        Append(view, key, kv);
        return rev;
    }

    // ---------------------------------------------------------------- Range

    public MvccResult<RangeResponse> Range(RangeRequest r)
    {
        if (r.Key.IsEmpty) return MvccError.EmptyKey;
        return RangeAt(r, CurrentRev);
    }

    /// <summary>applierV3backend.Range over a view whose revision is <paramref name="viewRev"/> (the header revision).</summary>
    private MvccResult<RangeResponse> RangeAt(RangeRequest r, long viewRev)
    {
        long rev = r.Revision;
        if (rev > viewRev) return MvccError.FutureRevision;
        if (rev <= 0) rev = viewRev;
        if (rev < CompactRev) return MvccError.Compacted;

        List<KeyValue> kvs = VisibleIn(r.Key.Span, r.RangeEnd.Span, rev);
        var resp = new RangeResponse { Header = new ResponseHeader { Revision = viewRev }, Count = kvs.Count };
        if (r.CountOnly) return resp;

        // Without a sort order or a filter, etcd fetches only limit + 1 key-values (in key order) before it
        // sorts by a sort target: the result is those few sorted, not the first ones of the whole range sorted.
        bool fetchAll = r.SortOrder != RangeRequest.Types.SortOrder.None || r.MinModRevision != 0 || r.MaxModRevision != 0 ||
                        r.MinCreateRevision != 0 || r.MaxCreateRevision != 0;
        if (!fetchAll && r.Limit > 0) kvs = kvs.Take((int)r.Limit + 1).ToList();

        // The filters drop key-values but leave count alone.
        if (r.MaxModRevision != 0) kvs.RemoveAll(kv => kv.ModRevision > r.MaxModRevision);
        if (r.MinModRevision != 0) kvs.RemoveAll(kv => kv.ModRevision < r.MinModRevision);
        if (r.MaxCreateRevision != 0) kvs.RemoveAll(kv => kv.CreateRevision > r.MaxCreateRevision);
        if (r.MinCreateRevision != 0) kvs.RemoveAll(kv => kv.CreateRevision < r.MinCreateRevision);

        RangeRequest.Types.SortOrder order = r.SortOrder;
        if (r.SortTarget != RangeRequest.Types.SortTarget.Key && order == RangeRequest.Types.SortOrder.None)
        {
            order = RangeRequest.Types.SortOrder.Ascend;
        }
        if (order != RangeRequest.Types.SortOrder.None)
        {
            int sign = order == RangeRequest.Types.SortOrder.Descend ? -1 : 1;
            // Stable: ties keep key order (LINQ OrderBy is stable; the sign flips only the target order).
            kvs = [.. kvs.Select((kv, i) => (kv, i)).OrderBy(x => x, Comparer<(KeyValue kv, int i)>.Create((x, y) =>
            {
                int c = sign * SortKey(r.SortTarget, x.kv, y.kv);
                return c != 0 ? c : x.i.CompareTo(y.i);
            })).Select(x => x.kv)];
        }
        if (r.Limit > 0 && kvs.Count > r.Limit)
        {
            kvs = kvs.Take((int)r.Limit).ToList();
            resp.More = true;
        }
        foreach (KeyValue kv in kvs)
        {
            if (r.KeysOnly) kv.Value = ByteString.Empty;
            resp.Kvs.Add(kv);
        }
        return resp;
    }

    private static int SortKey(RangeRequest.Types.SortTarget target, KeyValue a, KeyValue b) => target switch
    {
        RangeRequest.Types.SortTarget.Key => a.Key.Span.SequenceCompareTo(b.Key.Span),
        RangeRequest.Types.SortTarget.Version => a.Version.CompareTo(b.Version),
        RangeRequest.Types.SortTarget.Create => a.CreateRevision.CompareTo(b.CreateRevision),
        RangeRequest.Types.SortTarget.Mod => a.ModRevision.CompareTo(b.ModRevision),
        RangeRequest.Types.SortTarget.Value => a.Value.Span.SequenceCompareTo(b.Value.Span),
        _ => 0,
    };

    // ---------------------------------------------------------------- Put / DeleteRange

    private static MvccError CheckPutRequest(PutRequest p)
    {
        if (p.Key.IsEmpty) return MvccError.EmptyKey;
        if (p.IgnoreValue && p.Value.Length != 0) return MvccError.ValueProvided;
        if (p.IgnoreLease && p.Lease != 0) return MvccError.LeaseProvided;
        return MvccError.None;
    }

    public MvccResult<PutResponse> Put(PutRequest p)
    {
        MvccError e = CheckPutRequest(p);
        if (e != MvccError.None) return e;
        if (p.Lease != 0 && !_leases.ContainsKey(p.Lease)) return MvccError.LeaseNotFound;
        var view = new WriteView(CurrentRev);
        MvccResult<PutResponse> result = PutIn(view, p);
        End(view);
        return result;
    }

    /// <summary>applierV3backend.Put inside a write view.</summary>
    private MvccResult<PutResponse> PutIn(WriteView view, PutRequest p)
    {
        KeyValue? prev = p.IgnoreValue || p.IgnoreLease || p.PrevKv ? Visible(p.Key.Span, view.ReadRev) : null;
        if ((p.IgnoreValue || p.IgnoreLease) && prev is null) return MvccError.KeyNotFound;
        ByteString value = p.IgnoreValue ? prev!.Value : p.Value;
        long lease = p.IgnoreLease ? prev!.Lease : p.Lease;
        var resp = new PutResponse { Header = new ResponseHeader() };
        if (p.PrevKv && prev is not null) resp.PrevKv = prev.Clone();
        resp.Header.Revision = PutRaw(view, p.Key.ToByteArray(), value, lease);
        return resp;
    }

    public MvccResult<DeleteRangeResponse> DeleteRange(DeleteRangeRequest d)
    {
        if (d.Key.IsEmpty) return MvccError.EmptyKey;
        var view = new WriteView(CurrentRev);
        DeleteRangeResponse resp = DeleteIn(view, d);
        End(view);
        return resp;
    }

    /// <summary>applierV3backend.DeleteRange: header is the new revision if this or an earlier op of the txn changed anything.</summary>
    private DeleteRangeResponse DeleteIn(WriteView view, DeleteRangeRequest d)
    {
        List<KeyValue> doomed = VisibleIn(d.Key.Span, d.RangeEnd.Span, view.ReadRev);
        var resp = new DeleteRangeResponse { Header = new ResponseHeader(), Deleted = doomed.Count };
        if (d.PrevKv) resp.PrevKvs.AddRange(doomed.Select(kv => kv.Clone()));
        foreach (KeyValue kv in doomed) Append(view, kv.Key.ToByteArray(), null);
        resp.Header.Revision = doomed.Count != 0 || view.Changes > 0 ? view.Rev : view.Begin;
        return resp;
    }

    // ---------------------------------------------------------------- Txn

    public MvccResult<TxnResponse> Txn(TxnRequest t)
    {
        // v3rpc/key.go: checkTxnRequest, then checkIntervals on each branch.
        MvccError e = CheckTxnRequest(t, maxTxnOps);
        if (e != MvccError.None) return e;
        if (!CheckIntervals(t.Success, out _, out _) || !CheckIntervals(t.Failure, out _, out _)) return MvccError.DuplicateKey;

        // apply.go Txn: every compare (nested ones too) is evaluated against the state before the txn.
        var path = new Queue<bool>();
        ComparePath(t, path);
        bool isWrite = t.Success.Concat(t.Failure).Any(op => op.RequestCase != RequestOp.RequestOneofCase.RequestRange);
        if (isWrite)
        {
            e = CheckOps(t, new Queue<bool>(path), CheckPutOp);
            if (e != MvccError.None) return e;
        }
        e = CheckOps(t, new Queue<bool>(path), CheckRangeOp);
        if (e != MvccError.None) return e;

        var view = new WriteView(CurrentRev);
        TxnResponse resp = ApplyTxn(view, t, path);
        End(view);
        resp.Header = new ResponseHeader { Revision = view.ReadRev };
        return resp;
    }

    private static MvccError CheckTxnRequest(TxnRequest t, int maxOps)
    {
        int opc = Math.Max(t.Compare.Count, Math.Max(t.Success.Count, t.Failure.Count));
        if (opc > maxOps) return MvccError.TooManyOps;
        if (t.Compare.Any(c => c.Key.IsEmpty)) return MvccError.EmptyKey;
        foreach (RequestOp op in t.Success.Concat(t.Failure))
        {
            MvccError e;
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestRange: e = op.RequestRange.Key.IsEmpty ? MvccError.EmptyKey : MvccError.None; break;
                case RequestOp.RequestOneofCase.RequestPut: e = CheckPutRequest(op.RequestPut); break;
                case RequestOp.RequestOneofCase.RequestDeleteRange: e = op.RequestDeleteRange.Key.IsEmpty ? MvccError.EmptyKey : MvccError.None; break;
                case RequestOp.RequestOneofCase.RequestTxn: e = CheckTxnRequest(op.RequestTxn, maxOps - opc); break;
                default: e = MvccError.KeyNotFound; break; // an empty RequestOp
            }
            if (e != MvccError.None) return e;
        }
        return MvccError.None;
    }

    /// <summary>
    /// checkIntervals: a key may be put once per branch (a nested txn's then and else may both put it) and not
    /// also be deleted. Deletions are points or [key, end) intervals compared as strings, so a "\0" end (every
    /// key from key on) covers no key here.
    /// </summary>
    private static bool CheckIntervals(IEnumerable<RequestOp> ops, out HashSet<string> puts, out List<(byte[] From, byte[]? To)> dels)
    {
        puts = [];
        dels = [];
        var delsHere = dels;
        bool Deleted(string k)
        {
            byte[] b = Convert.FromHexString(k);
            return delsHere.Any(d => d.To is null
                ? b.AsSpan().SequenceEqual(d.From)
                : b.AsSpan().SequenceCompareTo(d.From) >= 0 && b.AsSpan().SequenceCompareTo(d.To) < 0);
        }

        foreach (RequestOp op in ops.Where(o => o.RequestCase == RequestOp.RequestOneofCase.RequestDeleteRange))
        {
            DeleteRangeRequest d = op.RequestDeleteRange;
            dels.Add((d.Key.ToByteArray(), d.RangeEnd.IsEmpty ? null : d.RangeEnd.ToByteArray()));
        }
        foreach (RequestOp op in ops.Where(o => o.RequestCase == RequestOp.RequestOneofCase.RequestTxn))
        {
            if (!CheckIntervals(op.RequestTxn.Success, out var putsThen, out var delsThen)) return false;
            if (!CheckIntervals(op.RequestTxn.Failure, out var putsElse, out var delsElse)) return false;
            foreach (string k in putsThen)
            {
                if (puts.Contains(k) || Deleted(k)) return false;
                puts.Add(k);
            }
            foreach (string k in putsElse)
            {
                if ((puts.Contains(k) && !putsThen.Contains(k)) || Deleted(k)) return false;
                puts.Add(k);
            }
            dels.AddRange(delsThen);
            dels.AddRange(delsElse);
        }
        foreach (RequestOp op in ops.Where(o => o.RequestCase == RequestOp.RequestOneofCase.RequestPut))
        {
            string k = Convert.ToHexString(op.RequestPut.Key.Span);
            if (puts.Contains(k) || Deleted(k)) return false;
            puts.Add(k);
        }
        return true;
    }

    /// <summary>compareToPath: the branch taken by the txn and then by every nested txn on it, depth first.</summary>
    private void ComparePath(TxnRequest t, Queue<bool> path)
    {
        bool ok = t.Compare.All(Compare);
        path.Enqueue(ok);
        foreach (RequestOp op in ok ? t.Success : t.Failure)
        {
            if (op.RequestCase == RequestOp.RequestOneofCase.RequestTxn) ComparePath(op.RequestTxn, path);
        }
    }

    /// <summary>applyCompare: every key in the range must pass; no key at all passes unless the target is VALUE.</summary>
    private bool Compare(Compare c)
    {
        List<KeyValue> kvs = VisibleIn(c.Key.Span, c.RangeEnd.Span, CurrentRev);
        if (kvs.Count == 0)
        {
            if (c.Target == Etcdserverpb.Compare.Types.CompareTarget.Value) return false;
            kvs.Add(new KeyValue());
        }
        return kvs.All(kv => CompareOne(c, kv));
    }

    private static bool CompareOne(Compare c, KeyValue kv)
    {
        // A target whose union holds another field compares against zero (or the empty value), as in Go.
        int result = c.Target switch
        {
            Etcdserverpb.Compare.Types.CompareTarget.Value =>
                kv.Value.Span.SequenceCompareTo(c.TargetUnionCase == Etcdserverpb.Compare.TargetUnionOneofCase.Value ? c.Value.Span : []),
            Etcdserverpb.Compare.Types.CompareTarget.Create =>
                kv.CreateRevision.CompareTo(c.TargetUnionCase == Etcdserverpb.Compare.TargetUnionOneofCase.CreateRevision ? c.CreateRevision : 0),
            Etcdserverpb.Compare.Types.CompareTarget.Mod =>
                kv.ModRevision.CompareTo(c.TargetUnionCase == Etcdserverpb.Compare.TargetUnionOneofCase.ModRevision ? c.ModRevision : 0),
            Etcdserverpb.Compare.Types.CompareTarget.Version =>
                kv.Version.CompareTo(c.TargetUnionCase == Etcdserverpb.Compare.TargetUnionOneofCase.Version ? c.Version : 0),
            Etcdserverpb.Compare.Types.CompareTarget.Lease =>
                kv.Lease.CompareTo(c.TargetUnionCase == Etcdserverpb.Compare.TargetUnionOneofCase.Lease ? c.Lease : 0),
            _ => 0,
        };
        return c.Result switch
        {
            Etcdserverpb.Compare.Types.CompareResult.Equal => result == 0,
            Etcdserverpb.Compare.Types.CompareResult.NotEqual => result != 0,
            Etcdserverpb.Compare.Types.CompareResult.Greater => result > 0,
            Etcdserverpb.Compare.Types.CompareResult.Less => result < 0,
            _ => true,
        };
    }

    /// <summary>checkRequests: runs <paramref name="check"/> on every non-txn op of the branches on the path.</summary>
    private static MvccError CheckOps(TxnRequest t, Queue<bool> path, Func<RequestOp, MvccError> check)
    {
        bool ok = path.Dequeue();
        foreach (RequestOp op in ok ? t.Success : t.Failure)
        {
            MvccError e = op.RequestCase == RequestOp.RequestOneofCase.RequestTxn ? CheckOps(op.RequestTxn, path, check) : check(op);
            if (e != MvccError.None) return e;
        }
        return MvccError.None;
    }

    /// <summary>checkRequestPut against the state before the txn.</summary>
    private MvccError CheckPutOp(RequestOp op)
    {
        if (op.RequestCase != RequestOp.RequestOneofCase.RequestPut) return MvccError.None;
        PutRequest p = op.RequestPut;
        if ((p.IgnoreValue || p.IgnoreLease) && Visible(p.Key.Span, CurrentRev) is null) return MvccError.KeyNotFound;
        if (p.Lease != 0 && !_leases.ContainsKey(p.Lease)) return MvccError.LeaseNotFound;
        return MvccError.None;
    }

    /// <summary>checkRequestRange against the state before the txn.</summary>
    private MvccError CheckRangeOp(RequestOp op)
    {
        if (op.RequestCase != RequestOp.RequestOneofCase.RequestRange) return MvccError.None;
        long rev = op.RequestRange.Revision;
        if (rev == 0) return MvccError.None;
        if (rev > CurrentRev) return MvccError.FutureRevision;
        if (rev < CompactRev) return MvccError.Compacted;
        return MvccError.None;
    }

    /// <summary>applyTxn: the ops of the branch in order; a nested txn's response has an empty header.</summary>
    private TxnResponse ApplyTxn(WriteView view, TxnRequest t, Queue<bool> path)
    {
        bool ok = path.Dequeue();
        var resp = new TxnResponse { Header = new ResponseHeader(), Succeeded = ok };
        foreach (RequestOp op in ok ? t.Success : t.Failure)
        {
            var r = new ResponseOp();
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestRange:
                    r.ResponseRange = RangeAt(op.RequestRange, view.ReadRev).Value;
                    break;
                case RequestOp.RequestOneofCase.RequestPut:
                    r.ResponsePut = PutIn(view, op.RequestPut).Value;
                    break;
                case RequestOp.RequestOneofCase.RequestDeleteRange:
                    r.ResponseDeleteRange = DeleteIn(view, op.RequestDeleteRange);
                    break;
                case RequestOp.RequestOneofCase.RequestTxn:
                    r.ResponseTxn = ApplyTxn(view, op.RequestTxn, path);
                    break;
            }
            resp.Responses.Add(r);
        }
        return resp;
    }

    // ---------------------------------------------------------------- Compaction and leases

    /// <summary>mvcc store.Compact: at or below the last compaction is Compacted, beyond the current revision FutureRevision.</summary>
    public MvccResult<CompactionResponse> Compact(long rev)
    {
        if (rev <= CompactRev) return MvccError.Compacted;
        if (rev > CurrentRev) return MvccError.FutureRevision;
        CompactRev = rev;
        return new CompactionResponse { Header = new ResponseHeader { Revision = CurrentRev } };
    }

    /// <summary>lessor.Grant: TTL below the minimum is raised to it.</summary>
    public MvccResult<LeaseGrantResponse> LeaseGrant(long id, long ttl)
    {
        if (ttl > MaxLeaseTtl) return MvccError.LeaseTtlTooLarge;
        if (_leases.ContainsKey(id)) return MvccError.LeaseExists;
        _leases[id] = Math.Max(ttl, minLeaseTtl);
        return new LeaseGrantResponse { Header = new ResponseHeader { Revision = CurrentRev }, ID = id, TTL = _leases[id] };
    }

    /// <summary>The live keys whose current version carries the lease, in key order.</summary>
    private List<byte[]> LeaseKeys(long id) =>
        _keys.Where(k => Visible(k, CurrentRev) is { } kv && kv.Lease == id).ToList();

    /// <summary>lessor.Revoke: deletes the lease's keys (sorted) in one revision.</summary>
    public MvccResult<LeaseRevokeResponse> LeaseRevoke(long id)
    {
        if (!_leases.ContainsKey(id)) return MvccError.LeaseNotFound;
        var view = new WriteView(CurrentRev);
        foreach (byte[] key in LeaseKeys(id)) Append(view, key, null);
        End(view);
        _leases.Remove(id);
        return new LeaseRevokeResponse { Header = new ResponseHeader { Revision = CurrentRev } };
    }

    /// <summary>TimeToLive with keys, on a clock that has not moved since the grant (remaining = granted TTL).</summary>
    public MvccResult<LeaseTimeToLiveResponse> LeaseTimeToLive(long id)
    {
        if (!_leases.TryGetValue(id, out long ttl)) return MvccError.LeaseNotFound;
        var resp = new LeaseTimeToLiveResponse { Header = new ResponseHeader { Revision = CurrentRev }, ID = id, TTL = ttl, GrantedTTL = ttl };
        resp.Keys.AddRange(LeaseKeys(id).Select(ByteString.CopyFrom));
        return resp;
    }

    public LeaseLeasesResponse LeaseLeases()
    {
        var resp = new LeaseLeasesResponse { Header = new ResponseHeader { Revision = CurrentRev } };
        resp.Leases.AddRange(_leases.Keys.Select(id => new LeaseStatus { ID = id }));
        return resp;
    }
}
