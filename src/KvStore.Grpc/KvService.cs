using Etcdserverpb;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's KV service (api/v3rpc/key.go): validate, call the member's verb, fill the header. Only the outer header is
/// filled; responses inside a txn keep what the engine gave them.
/// </summary>
public sealed class KvService(IEtcdServer server) : KV.KVBase
{
    public override async Task<RangeResponse> Range(RangeRequest request, ServerCallContext context)
    {
        Check(RequestValidation.CheckRange(request));
        CheckSortOption(request);
        RangeResponse response = await server.RangeAsync(request, server.CallerOf(context), context.CancellationToken).ConfigureAwait(false);
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        Check(RequestValidation.CheckPut(request));
        PutResponse response = await server.PutAsync(request, server.CallerOf(context), context.CancellationToken).ConfigureAwait(false);
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<DeleteRangeResponse> DeleteRange(DeleteRangeRequest request, ServerCallContext context)
    {
        Check(RequestValidation.CheckDelete(request));
        DeleteRangeResponse response = await server.DeleteRangeAsync(request, server.CallerOf(context), context.CancellationToken)
            .ConfigureAwait(false);
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<TxnResponse> Txn(TxnRequest request, ServerCallContext context)
    {
        Check(RequestValidation.CheckTxn(request, server.Config.MaxTxnOps));
        CheckSortOptions(request);
        TxnResponse response = await server.TxnAsync(request, server.CallerOf(context), context.CancellationToken).ConfigureAwait(false);
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override Task<CompactionResponse> Compact(CompactionRequest request, ServerCallContext context) =>
        server.CompactAsync(request, server.CallerOf(context), context.CancellationToken); // the member fills the header

    private static void Check(MvccError error)
    {
        if (error != MvccError.None) throw ErrorTable.For(error);
    }

    /// <summary>etcd 3.5 checkRangeRequest: sort order and target must be values of their enums.</summary>
    private static void CheckSortOption(RangeRequest r)
    {
        if (!Enum.IsDefined(r.SortOrder) || !Enum.IsDefined(r.SortTarget)) throw ErrorTable.For(RpcError.InvalidSortOption);
    }

    private static void CheckSortOptions(TxnRequest r)
    {
        foreach (RequestOp op in r.Success.Concat(r.Failure))
        {
            if (op.RequestRange is { } range) CheckSortOption(range);
            else if (op.RequestTxn is { } txn) CheckSortOptions(txn);
        }
    }
}
