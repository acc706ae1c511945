using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers.Kv;

/// <summary>What etcd's KV requests and responses mean for the model: key coverage, writes, branches.</summary>
internal static class KvOps
{
    /// <summary>etcd's range rule: no end is the key alone, "\0" every key from Key on, else [Key, RangeEnd).</summary>
    public static bool Covers(string key, string? rangeEnd, string candidate) => rangeEnd switch
    {
        null or "" => string.Equals(candidate, key, StringComparison.Ordinal),
        "\0" => string.CompareOrdinal(candidate, key) >= 0,
        _ => string.CompareOrdinal(candidate, key) >= 0 && string.CompareOrdinal(candidate, rangeEnd) < 0,
    };

    public static bool IsKv(Request r) => r is RangeRequest or PutRequest or DeleteRequest or TxnRequest;

    /// <summary>Whether the request can change the keyspace in some branch (a candidate for a new revision).</summary>
    public static bool MayWrite(Request r) => r switch
    {
        PutRequest or DeleteRequest => true,
        TxnRequest t => t.Success.Concat(t.Failure).Any(MayWrite),
        _ => false,
    };

    /// <summary>
    /// Whether an acknowledged request created a revision: a put always does; a delete only when it deleted a key
    /// (etcd's delete of a missing key leaves the revision); a txn when its branch did either.
    /// </summary>
    public static bool Bumped(Request r, Response? response) => (r, response) switch
    {
        (PutRequest, _) => true,
        (DeleteRequest, DeleteResponse d) => d.Deleted > 0,
        (TxnRequest t, TxnResponse tr) => Branch(t, tr.Succeeded).Zip(tr.Responses).Any(p => Bumped(p.First, p.Second)),
        _ => false,
    };

    public static IReadOnlyList<Request> Branch(TxnRequest t, bool succeeded) => succeeded ? t.Success : t.Failure;

    /// <summary>Every put the request may perform, with the txn branch it belongs to (null outside a txn).</summary>
    public static IEnumerable<(PutRequest Put, bool? Branch)> Puts(Request r) => r switch
    {
        PutRequest p => [(p, null)],
        TxnRequest t => t.Success.OfType<PutRequest>().Select(p => (p, (bool?)true))
            .Concat(t.Failure.OfType<PutRequest>().Select(p => (p, (bool?)false))),
        _ => [],
    };

    /// <summary>Keys named by the request (single keys and range starts), for the key universe.</summary>
    public static IEnumerable<string> NamedKeys(Request r) => r switch
    {
        RangeRequest g => [g.Key],
        PutRequest p => [p.Key],
        DeleteRequest d => [d.Key],
        TxnRequest t => t.Compares.Select(c => c.Key).Concat(t.Success.Concat(t.Failure).SelectMany(NamedKeys)),
        _ => [],
    };

    /// <summary>Every KeyValue the response shows (read results and previous values).</summary>
    public static IEnumerable<KeyValue> Shown(Response? response) => response switch
    {
        RangeResponse g => g.Kvs,
        PutResponse { PrevKv: { } kv } => [kv],
        DeleteResponse d => d.PrevKvs,
        TxnResponse t => t.Responses.SelectMany(Shown),
        _ => [],
    };

    /// <summary>etcd's compare of one key's state (missing: zero fields, a value compare fails); null when a field is unknown.</summary>
    public static bool? Holds(Compare c, KeyState s)
    {
        if (!s.Exists)
        {
            return c.Target == CompareTarget.Value ? false : Result(c.Result, 0L.CompareTo(c.Number));
        }
        long actual;
        switch (c.Target)
        {
            case CompareTarget.Value:
                return s.Value == KeyState.UnseenValue ? null : Result(c.Result, Math.Sign(string.CompareOrdinal(s.Value, c.Value ?? "")));
            case CompareTarget.Version:
                actual = s.Version;
                break;
            case CompareTarget.Create:
                actual = s.Create;
                break;
            case CompareTarget.Mod:
                actual = s.Mod;
                break;
            default:
                actual = s.Lease;
                break;
        }
        return actual == KeyState.Unknown ? null : Result(c.Result, actual.CompareTo(c.Number));
    }

    private static bool Result(CompareResult result, int order) => result switch
    {
        CompareResult.Equal => order == 0,
        CompareResult.NotEqual => order != 0,
        CompareResult.Greater => order > 0,
        _ => order < 0,
    };
}
