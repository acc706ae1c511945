using Etcdserverpb;
using Google.Protobuf;

namespace KvStore.Mvcc.Tests.Model;

/// <summary>
/// Random etcd requests over a small key alphabet (so ranges, compares and txn ops collide), with values of
/// 0..300 bytes, revisions around the live window (and outside it), and a few invalid requests of each kind.
/// Reads the model only to aim compares and revisions at interesting values.
/// </summary>
internal sealed class RequestGenerator(Random rng, ReferenceModel model, int maxTxnOps)
{
    public const int LeaseIds = 6;

    /// <summary>a..d, every two-letter pair of them, and a few keys with 0x00 / 0xff bytes to test byte order.</summary>
    public static readonly byte[][] Keys = MakeKeys();

    private static byte[][] MakeKeys()
    {
        var keys = new List<byte[]>();
        foreach (char a in "abcd")
        {
            keys.Add([(byte)a]);
            foreach (char b in "abcd") keys.Add([(byte)a, (byte)b]);
        }
        keys.Add("abc"u8.ToArray());
        keys.Add([(byte)'b', 0x00]);
        keys.Add([(byte)'c', 0xff]);
        keys.Add([0xff]);
        return [.. keys];
    }

    /// <summary>
    /// "0/0000".."0/4999": enough keys for the engine's B+ tree index (order 64) to split leaves and inner nodes.
    /// They sort before the small alphabet, so only ranges from "\0" on or inside "0/" cover them.
    /// </summary>
    public static readonly byte[][] WideKeys = [.. Enumerable.Range(0, 5000).Select(i => System.Text.Encoding.ASCII.GetBytes($"0/{i:D4}"))];

    private bool Chance(double p) => rng.NextDouble() < p;

    private long Between(long lo, long hi) => lo >= hi ? lo : lo + (long)(rng.NextDouble() * (hi - lo + 1));

    public byte[] Key() => Chance(0.15) ? WideKeys[rng.Next(WideKeys.Length)] : Keys[rng.Next(Keys.Length)];

    /// <summary>etcd's prefix range end: the key with its last byte below 0xff incremented ("\0" if none).</summary>
    public static byte[] PrefixEnd(byte[] key)
    {
        for (int i = key.Length - 1; i >= 0; i--)
        {
            if (key[i] < 0xff)
            {
                byte[] end = key[..(i + 1)];
                end[i]++;
                return end;
            }
        }
        return [0];
    }

    public ByteString Value()
    {
        int len = rng.NextDouble() switch { < 0.5 => rng.Next(0, 11), < 0.9 => rng.Next(10, 101), _ => rng.Next(100, 301) };
        var b = new byte[len];
        if (Chance(0.1)) rng.NextBytes(b);
        else
        {
            for (int i = 0; i < len; i++) b[i] = (byte)('a' + rng.Next(6));
        }
        return ByteString.CopyFrom(b);
    }

    /// <summary>A key and range end: one key, a prefix, from a key on ("\0"), everything, or [k1, k2) (maybe empty).</summary>
    public (byte[] Key, byte[] End) RangeSpec(bool allowFromKey = true)
    {
        double r = rng.NextDouble();
        byte[] k = Key();
        if (r < 0.35) return (k, []);
        if (r < 0.6)
        {
            // one letter, or "0/12" / "0/123" (100 / 10 wide keys), rarely "0/1" (1,000)
            byte[] prefix = k[0] != (byte)'0' ? k[..1] : Chance(0.1) ? k[..3] : k[..rng.Next(4, 6)];
            return (prefix, PrefixEnd(prefix));
        }
        if (allowFromKey && r < 0.72) return (k, [0]);
        if (allowFromKey && r < 0.75) return ([0], [0]);
        return (k, Key());
    }

    /// <summary>0 mostly; else around [compact - 2, current + 2], rarely negative.</summary>
    public long Revision()
    {
        double r = rng.NextDouble();
        if (r < 0.65) return 0;
        if (r < 0.98) return Between(Math.Max(1, model.CompactRev - 2), model.CurrentRev + 2);
        return Chance(0.5) ? -1 : -5;
    }

    private long SomeLease() =>
        Chance(0.8) && model.LeaseIds.Any() ? model.LeaseIds.ElementAt(rng.Next(model.LeaseIds.Count())) : rng.Next(1, LeaseIds + 2);

    public PutRequest Put(byte[]? key = null, bool allowIgnore = true)
    {
        var p = new PutRequest { Key = ByteString.CopyFrom(key ?? (Chance(0.01) ? [] : Key())), PrevKv = Chance(0.3) };
        if (allowIgnore && Chance(0.07))
        {
            p.IgnoreValue = true;
            if (Chance(0.1)) p.Value = Value();
        }
        else p.Value = Value();
        if (allowIgnore && Chance(0.07))
        {
            p.IgnoreLease = true;
            if (Chance(0.1)) p.Lease = SomeLease();
        }
        else if (Chance(0.15)) p.Lease = SomeLease();
        return p;
    }

    public DeleteRangeRequest Delete(bool allowFromKey = true)
    {
        (byte[] k, byte[] end) = RangeSpec(allowFromKey);
        if (Chance(0.01)) k = [];
        return new DeleteRangeRequest { Key = ByteString.CopyFrom(k), RangeEnd = ByteString.CopyFrom(end), PrevKv = Chance(0.5) };
    }

    public RangeRequest Range()
    {
        (byte[] k, byte[] end) = RangeSpec();
        if (Chance(0.01)) k = [];
        var r = new RangeRequest { Key = ByteString.CopyFrom(k), RangeEnd = ByteString.CopyFrom(end), Revision = Revision() };
        if (Chance(0.4)) r.Limit = rng.Next(-1, 7);
        if (Chance(0.35))
        {
            r.SortOrder = (RangeRequest.Types.SortOrder)rng.Next(3);
            r.SortTarget = (RangeRequest.Types.SortTarget)rng.Next(5);
        }
        r.KeysOnly = Chance(0.1);
        r.CountOnly = Chance(0.08);
        if (Chance(0.1)) r.MinModRevision = Between(0, model.CurrentRev + 1);
        if (Chance(0.1)) r.MaxModRevision = Between(0, model.CurrentRev + 1);
        if (Chance(0.1)) r.MinCreateRevision = Between(0, model.CurrentRev + 1);
        if (Chance(0.1)) r.MaxCreateRevision = Between(0, model.CurrentRev + 1);
        return r;
    }

    /// <summary>A compare aimed (often) at the key's current value so both branches are taken.</summary>
    public Compare Compare()
    {
        byte[] k = Key();
        var c = new Compare
        {
            Key = ByteString.CopyFrom(Chance(0.005) ? [] : k),
            Target = (Compare.Types.CompareTarget)rng.Next(5),
            Result = (Compare.Types.CompareResult)rng.Next(4),
        };
        if (Chance(0.12)) c.RangeEnd = ByteString.CopyFrom(Chance(0.7) ? PrefixEnd(k[..1]) : [0]);
        Mvccpb.KeyValue? kv = model.Visible(k, model.CurrentRev);
        bool aim = kv is not null && Chance(0.6);
        long Near(long v) => v + (Chance(0.6) ? 0 : rng.Next(-1, 2));
        var target = Chance(0.04) ? (Compare.Types.CompareTarget)rng.Next(5) : c.Target; // sometimes the wrong union field
        switch (target)
        {
            case Etcdserverpb.Compare.Types.CompareTarget.Version: c.Version = aim ? Near(kv!.Version) : rng.Next(0, 4); break;
            case Etcdserverpb.Compare.Types.CompareTarget.Create: c.CreateRevision = aim ? Near(kv!.CreateRevision) : Between(0, model.CurrentRev); break;
            case Etcdserverpb.Compare.Types.CompareTarget.Mod: c.ModRevision = aim ? Near(kv!.ModRevision) : Between(0, model.CurrentRev); break;
            case Etcdserverpb.Compare.Types.CompareTarget.Value: c.Value = aim && Chance(0.8) ? kv!.Value : Value(); break;
            case Etcdserverpb.Compare.Types.CompareTarget.Lease: c.Lease = aim ? kv!.Lease : (Chance(0.5) ? 0 : rng.Next(1, LeaseIds + 1)); break;
        }
        return c;
    }

    private int Count(int max) => Chance(0.02) ? maxTxnOps + 1 : rng.Next(0, max + 1);

    /// <summary>
    /// A txn, nested up to two levels. Most txns give their puts distinct keys so they pass the duplicate-key
    /// check; a txn with a "\0" delete has no ignore_value/ignore_lease puts (etcd panics when such a put finds
    /// its key deleted earlier in the same txn, which checkIntervals does not catch for "\0" ranges).
    /// </summary>
    public TxnRequest Txn()
    {
        var pool = new Queue<byte[]>(Keys.OrderBy(_ => rng.Next()));
        bool distinct = Chance(0.8);
        TxnRequest t = Txn(0, pool, distinct);
        if (HasFromKeyDelete(t)) StripIgnores(t);
        return t;
    }

    private TxnRequest Txn(int depth, Queue<byte[]> pool, bool distinct)
    {
        var t = new TxnRequest();
        int compares = Count(3);
        for (int i = 0; i < compares; i++) t.Compare.Add(Compare());
        int success = Count(4), failure = Count(4);
        for (int i = 0; i < success; i++) t.Success.Add(Op(depth, pool, distinct));
        for (int i = 0; i < failure; i++) t.Failure.Add(Op(depth, pool, distinct));
        return t;
    }

    private RequestOp Op(int depth, Queue<byte[]> pool, bool distinct)
    {
        byte[] NextKey() => distinct && pool.Count > 0 ? pool.Dequeue() : Key();
        double r = rng.NextDouble();
        if (r < 0.005) return new RequestOp(); // empty op: etcd answers key not found
        if (r < 0.3) return new RequestOp { RequestRange = Range() };
        if (r < 0.65) return new RequestOp { RequestPut = Put(NextKey()) };
        if (r < 0.88 || depth >= 2)
        {
            if (distinct && Chance(0.75))
            {
                return new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFrom(NextKey()), PrevKv = Chance(0.5) } };
            }
            return new RequestOp { RequestDeleteRange = Delete(allowFromKey: Chance(0.4)) };
        }
        return new RequestOp { RequestTxn = Txn(depth + 1, pool, distinct) };
    }

    private static bool HasFromKeyDelete(TxnRequest t) => t.Success.Concat(t.Failure).Any(op => op.RequestCase switch
    {
        RequestOp.RequestOneofCase.RequestDeleteRange => op.RequestDeleteRange.RangeEnd.Span.SequenceEqual([(byte)0]),
        RequestOp.RequestOneofCase.RequestTxn => HasFromKeyDelete(op.RequestTxn),
        _ => false,
    });

    private static void StripIgnores(TxnRequest t)
    {
        foreach (RequestOp op in t.Success.Concat(t.Failure))
        {
            if (op.RequestCase == RequestOp.RequestOneofCase.RequestPut)
            {
                op.RequestPut.IgnoreValue = false;
                op.RequestPut.IgnoreLease = false;
            }
            else if (op.RequestCase == RequestOp.RequestOneofCase.RequestTxn) StripIgnores(op.RequestTxn);
        }
    }

    /// <summary>Mostly a valid compaction revision in the older half of the live window; sometimes too old or in the future.</summary>
    public long CompactRevision()
    {
        long compact = model.CompactRev, cur = model.CurrentRev;
        double r = rng.NextDouble();
        if (r < 0.75 && compact < cur) return compact + 1 + Between(0, Math.Max(0, (cur - compact - 1) / 2));
        if (r < 0.9) return compact - rng.Next(0, 3);
        return cur + rng.Next(0, 3);
    }

    public long LeaseId() => rng.Next(1, LeaseIds + 1);

    public long LeaseTtl() => Chance(0.03) ? ReferenceModel.MaxLeaseTtl + 1 : rng.Next(1, 100);
}
