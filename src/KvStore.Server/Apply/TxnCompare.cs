using Etcdserverpb;
using KvStore.Mvcc;
using Mvccpb;

namespace KvStore.Server.Apply;

/// <summary>etcd's compareToPath, applyCompare and compareKV (etcdserver/apply.go): which branch of each txn is taken.</summary>
internal static class TxnCompare
{
    /// <summary>
    /// The branch taken by the txn and by every nested txn on it, in the order applyTxn visits them (true: success),
    /// all evaluated on <paramref name="view"/> before anything is written.
    /// </summary>
    public static List<bool> ToPath(IReadView view, TxnRequest rt)
    {
        var path = new List<bool>();
        AddPath(view, rt, path);
        return path;
    }

    private static void AddPath(IReadView view, TxnRequest rt, List<bool> path)
    {
        bool ok = true;
        foreach (Compare c in rt.Compare)
        {
            if (!Holds(view, c))
            {
                ok = false;
                break;
            }
        }
        path.Add(ok);
        foreach (RequestOp op in ok ? rt.Success : rt.Failure)
        {
            if (op.RequestCase == RequestOp.RequestOneofCase.RequestTxn) AddPath(view, op.RequestTxn, path);
        }
    }

    /// <summary>etcd's applyCompare: true when every key in the range satisfies it; a missing key has zero fields and fails on value.</summary>
    private static bool Holds(IReadView view, Compare c)
    {
        List<KeyValue> kvs = view.KeyValues(c.Key.Span, KeyRanges.End(c.RangeEnd.Span));
        if (kvs.Count == 0)
        {
            return c.Target != Compare.Types.CompareTarget.Value && CompareKv(c, new KeyValue());
        }
        foreach (KeyValue kv in kvs)
        {
            if (!CompareKv(c, kv)) return false;
        }
        return true;
    }

    private static bool CompareKv(Compare c, KeyValue kv)
    {
        int result = c.Target switch
        {
            Compare.Types.CompareTarget.Value => kv.Value.Span.SequenceCompareTo(c.Value.Span),
            Compare.Types.CompareTarget.Create => kv.CreateRevision.CompareTo(c.CreateRevision),
            Compare.Types.CompareTarget.Mod => kv.ModRevision.CompareTo(c.ModRevision),
            Compare.Types.CompareTarget.Version => kv.Version.CompareTo(c.Version),
            Compare.Types.CompareTarget.Lease => kv.Lease.CompareTo(c.Lease),
            _ => 0,
        };
        return c.Result switch
        {
            Compare.Types.CompareResult.Equal => result == 0,
            Compare.Types.CompareResult.NotEqual => result != 0,
            Compare.Types.CompareResult.Greater => result > 0,
            Compare.Types.CompareResult.Less => result < 0,
            _ => true,
        };
    }
}
