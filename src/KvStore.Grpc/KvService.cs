using Etcdserverpb;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's KV service (api/v3rpc/key.go over etcdserver/v3_server.go): validate, read locally or propose, fill
/// the header. Only the outer header is filled; responses inside a txn keep what the engine gave them.
/// </summary>
public sealed class KvService(IEtcdServer server) : KV.KVBase
{
    public override async Task<RangeResponse> Range(RangeRequest request, ServerCallContext context)
    {
        Check(RequestValidation.CheckRange(request));
        CheckSortOption(request);
        if (!request.Serializable) await ReadIndexAsync(context.CancellationToken).ConfigureAwait(false);
        Check(server.CheckRead(ai => server.Store.IsOpPermitted(ai, request.Key.Span, request.RangeEnd.Span, write: false), out AuthInfo ai));
        MvccResult<RangeResponse> result = server.Store.Range(request);
        RangeResponse response = result.Response ?? throw ErrorTable.For(result.Error);
        CheckAuthRevision(ai);
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        Check(RequestValidation.CheckPut(request));
        ProposeResult result = await server.ProposeAsync(new InternalRaftRequest { Put = request }, context.CancellationToken).ConfigureAwait(false);
        PutResponse response = result.Unwrap<PutResponse>();
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<DeleteRangeResponse> DeleteRange(DeleteRangeRequest request, ServerCallContext context)
    {
        Check(RequestValidation.CheckDelete(request));
        ProposeResult result = await server.ProposeAsync(new InternalRaftRequest { DeleteRange = request }, context.CancellationToken).ConfigureAwait(false);
        DeleteRangeResponse response = result.Unwrap<DeleteRangeResponse>();
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<TxnResponse> Txn(TxnRequest request, ServerCallContext context)
    {
        Check(RequestValidation.CheckTxn(request, server.Config.MaxTxnOps));
        CheckSortOptions(request);
        TxnResponse response;
        if (IsReadOnly(request))
        {
            // etcd serves a txn of ranges only like a range: no proposal; linearizable unless every range is serializable.
            if (!IsSerializable(request)) await ReadIndexAsync(context.CancellationToken).ConfigureAwait(false);
            Check(server.CheckRead(ai => server.CheckTxn(ai, request), out AuthInfo ai));
            MvccResult<TxnResponse> local = server.Store.Txn(request);
            response = local.Response ?? throw ErrorTable.For(local.Error);
            CheckAuthRevision(ai);
        }
        else
        {
            ProposeResult result = await server.ProposeAsync(new InternalRaftRequest { Txn = request }, context.CancellationToken).ConfigureAwait(false);
            response = result.Unwrap<TxnResponse>();
        }
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<CompactionResponse> Compact(CompactionRequest request, ServerCallContext context)
    {
        // etcd waits for a physical compaction to finish deleting; the engine's compaction is done when applied.
        ProposeResult result = await server.ProposeAsync(new InternalRaftRequest { Compaction = request }, context.CancellationToken).ConfigureAwait(false);
        CompactionResponse response = result.Unwrap<CompactionResponse>();
        response.Header = server.Header(server.Store.CurrentRevision); // etcd: the revision after the compaction is applied
        return response;
    }

    private async Task ReadIndexAsync(CancellationToken cancellationToken)
    {
        ServerError error = await server.ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        if (error != ServerError.None) throw ErrorTable.For(error);
    }

    /// <summary>etcd's doSerialize: a read served while the auth store changed under its token is refused.</summary>
    private void CheckAuthRevision(AuthInfo ai)
    {
        if (ai.Revision != 0 && ai.Revision != server.Store.AuthRevision) throw ErrorTable.For(MvccError.AuthOldRevision);
    }

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

    /// <summary>etcd's isTxnReadonly: every op of both branches is a range (a nested txn is not).</summary>
    private static bool IsReadOnly(TxnRequest r) =>
        r.Success.Concat(r.Failure).All(op => op.RequestCase == RequestOp.RequestOneofCase.RequestRange);

    /// <summary>etcd's isTxnSerializable: every op of both branches is a serializable range.</summary>
    private static bool IsSerializable(TxnRequest r) =>
        r.Success.Concat(r.Failure).All(op => op.RequestRange is { Serializable: true });
}
