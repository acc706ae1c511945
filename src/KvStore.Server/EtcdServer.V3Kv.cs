using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Mvcc.Watch;
using KvStore.Server.Access;
using KvStore.Server.Apply;

namespace KvStore.Server;

/// <summary>etcd's RaftKV and Watchable (etcdserver/v3_server.go): reads after a read index, then doSerialize; writes proposed.</summary>
public sealed partial class EtcdServer
{
    /// <inheritdoc/>
    public long CurrentRevision => Store.CurrentRevision;

    /// <inheritdoc/>
    public long CompactRevision => Store.CompactRevision;

    /// <inheritdoc/>
    public long KeyCount => Store.LiveKeyCount;

    /// <summary>A proposal with no user: the member's own commands (alarms, compactions) and tests.</summary>
    public Task<ProposeResult> ProposeAsync(InternalRaftRequest request, CancellationToken cancellationToken) =>
        ProposeAsync(request, Caller.Nobody, cancellationToken);

    /// <inheritdoc/>
    public async Task<RangeResponse> RangeAsync(RangeRequest request, Caller caller, CancellationToken cancellationToken)
    {
        if (!request.Serializable)
        {
            await LinearizableReadAsync(cancellationToken).ConfigureAwait(false);
            caller = _auth.Refreshed(caller);
        }
        AuthStore.CheckRead(caller, user => _auth.IsRangePermitted(user, request.Key.Span, request.RangeEnd.Span));
        MvccResult<RangeResponse> result = Store.Range(request);
        RangeResponse response = result.Response ?? throw new EtcdServerException(result.Error);
        _auth.CheckAuthRevision(caller);
        return response;
    }

    /// <inheritdoc/>
    public async Task<PutResponse> PutAsync(PutRequest request, Caller caller, CancellationToken cancellationToken) =>
        EtcdServerException.Unwrap<PutResponse>(await ProposeAsync(new InternalRaftRequest { Put = request }, caller, cancellationToken)
            .ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, Caller caller, CancellationToken cancellationToken) =>
        EtcdServerException.Unwrap<DeleteRangeResponse>(await ProposeAsync(new InternalRaftRequest { DeleteRange = request }, caller,
            cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<TxnResponse> TxnAsync(TxnRequest request, Caller caller, CancellationToken cancellationToken)
    {
        if (!HasRangesOnly(request))
        {
            return EtcdServerException.Unwrap<TxnResponse>(await ProposeAsync(new InternalRaftRequest { Txn = request }, caller,
                cancellationToken).ConfigureAwait(false));
        }
        // Linearizable unless every range is serializable.
        if (!IsSerializable(request))
        {
            await LinearizableReadAsync(cancellationToken).ConfigureAwait(false);
            caller = _auth.Refreshed(caller);
        }
        AuthStore.CheckRead(caller, user => _auth.CheckTxn(user, request));
        MvccResult<TxnResponse> local = TxnApplier.ReadTxn(Store, request);
        TxnResponse response = local.Response ?? throw new EtcdServerException(local.Error);
        _auth.CheckAuthRevision(caller);
        return response;
    }

    /// <inheritdoc/>
    public async Task<CompactionResponse> CompactAsync(CompactionRequest request, Caller caller, CancellationToken cancellationToken)
    {
        // etcd answers once the compaction is applied, and a physical one once its batches deleted the old revisions.
        CompactionResponse response = EtcdServerException.Unwrap<CompactionResponse>(
            await ProposeAsync(new InternalRaftRequest { Compaction = request }, caller, cancellationToken).ConfigureAwait(false));
        if (request.Physical) await Store.WaitForCompactionAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        response.Header = Header(Store.CurrentRevision); // etcd: the revision after the compaction is applied
        return response;
    }

    /// <inheritdoc/>
    public WatchStream NewWatchStream() => Store.NewWatchStream();

    /// <inheritdoc/>
    public MvccError WatchPermission(WatchCreateRequest request, Caller caller) =>
        caller.Error != MvccError.None ? caller.Error : _auth.IsOpPermitted(caller.User, request.Key.Span, request.RangeEnd.Span, write: false);

    private async Task LinearizableReadAsync(CancellationToken cancellationToken) =>
        EtcdServerException.ThrowIf(await ReadIndexAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// etcd's isTxnReadonly: every op of both branches is a range (a nested txn is not), so the txn is served locally.
    /// Not the engine's RequestValidation.HasNoWrites, which looks into nested txns to skip the checks of puts.
    /// </summary>
    private static bool HasRangesOnly(TxnRequest r) =>
        r.Success.Concat(r.Failure).All(op => op.RequestCase == RequestOp.RequestOneofCase.RequestRange);

    /// <summary>etcd's isTxnSerializable: every op of both branches is a serializable range.</summary>
    private static bool IsSerializable(TxnRequest r) => r.Success.Concat(r.Failure).All(op => op.RequestRange is { Serializable: true });
}
