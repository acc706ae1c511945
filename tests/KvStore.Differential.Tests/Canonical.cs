using Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Mvccpb;

namespace KvStore.Differential.Tests;

/// <summary>
/// Responses of etcd and kvstore made comparable: an error as its code and message, a message as JSON with cluster
/// id, member id and raft term zeroed, and runs of equal sort values put in key order (etcd's sort is unstable).
/// </summary>
internal static class Canonical
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    public static string Describe(IMessage? response, RpcException? error, Action<IMessage>? canonical)
    {
        if (error is not null)
        {
            return $"error {error.StatusCode} \"{error.Status.Detail}\"";
        }
        IMessage message = response!;
        byte[] bytes = message.ToByteArray();
        // a copy parsed with room for a deep txn (protobuf's default stops at 100 levels)
        var copy = message.Descriptor.Parser.ParseFrom(CodedInputStream.CreateWithLimits(new MemoryStream(bytes), bytes.Length + 1, 1000));
        ZeroIds(copy);
        canonical?.Invoke(copy);
        return Json.Format(copy);
    }

    /// <summary>Zeroes cluster id, member id and raft term in every response header of the message tree.</summary>
    public static void ZeroIds(IMessage message)
    {
        if (message is ResponseHeader h)
        {
            h.ClusterId = 0;
            h.MemberId = 0;
            h.RaftTerm = 0;
            return;
        }
        foreach (var f in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (f.FieldType != FieldType.Message) continue;
            var v = f.Accessor.GetValue(message);
            if (f.IsRepeated)
            {
                foreach (var item in (System.Collections.IEnumerable)v) if (item is IMessage m) ZeroIds(m);
            }
            else if (v is IMessage m)
            {
                ZeroIds(m);
            }
        }
    }

    // etcd sorts with Go's unstable sort: within a run of equal sort values the order is not fixed, so each
    // run is put in key order on both sides (the order of the runs is still compared)
    public static void Range(RangeResponse r, RangeRequest.Types.SortTarget target)
    {
        if (target == RangeRequest.Types.SortTarget.Key)
        {
            return;
        }
        Func<KeyValue, string> sortValue = target switch
        {
            RangeRequest.Types.SortTarget.Version => kv => kv.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            RangeRequest.Types.SortTarget.Create => kv => kv.CreateRevision.ToString(System.Globalization.CultureInfo.InvariantCulture),
            RangeRequest.Types.SortTarget.Mod => kv => kv.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => kv => kv.Value.ToBase64(),
        };
        var kvs = r.Kvs.ToList();
        var result = new List<KeyValue>();
        var i = 0;
        while (i < kvs.Count)
        {
            var j = i + 1;
            while (j < kvs.Count && sortValue(kvs[j]) == sortValue(kvs[i]))
            {
                j++;
            }
            result.AddRange(kvs.Skip(i).Take(j - i).OrderBy(kv => kv.Key.ToBase64(), StringComparer.Ordinal));
            i = j;
        }
        r.Kvs.Clear();
        r.Kvs.AddRange(result);
    }

    public static void Txn(TxnRequest request, TxnResponse response)
    {
        var ops = response.Succeeded ? request.Success : request.Failure;
        for (var i = 0; i < response.Responses.Count && i < ops.Count; i++)
        {
            var op = response.Responses[i];
            if (op.ResponseRange is { } rr) Range(rr, ops[i].RequestRange.SortTarget);
            if (op.ResponseTxn is { } t) Txn(ops[i].RequestTxn, t);
        }
    }
}
