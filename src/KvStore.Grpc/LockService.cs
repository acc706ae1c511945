using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Server;
using V3lockpb;
using static KvStore.Grpc.ConcurrencyRecipes;

namespace KvStore.Grpc;

/// <summary>
/// etcd's v3lock service (etcdserver/api/v3lock/lock.go over clientv3/concurrency/mutex.go). A lock is a key
/// "name/lease-id-in-hex" on the caller's lease; the waiter whose key has the smallest create revision holds
/// it. Each waiter waits for the deletion of the key created just before its own: by Unlock, or with its
/// lease when that expires or is revoked. The keys are those etcdctl's client-side lock uses, so both
/// exclude each other.
/// </summary>
public sealed class LockService(IEtcdServer server, LeaseIdGenerator ids) : V3lockpb.Lock.LockBase
{
    private readonly ConcurrencyRecipes _recipes = new(server, ids);

    public override async Task<LockResponse> Lock(LockRequest request, ServerCallContext context)
    {
        Caller caller = server.CallerOf(context);
        CancellationToken ct = context.CancellationToken;
        long lease = await _recipes.SessionLeaseAsync(request.Lease, caller, ct).ConfigureAwait(false);
        ByteString prefix = Prefix(request.Name);
        ByteString myKey = SessionKey(prefix, lease);

        // Join the waiters unless this lease already has its key (then reuse it), and fetch the holder.
        var txn = new TxnRequest();
        txn.Compare.Add(CreateRevisionIs(myKey, 0));
        txn.Success.Add(Put(myKey, ByteString.Empty, lease));
        txn.Success.Add(GetFirstCreated(prefix));
        txn.Failure.Add(Get(myKey));
        txn.Failure.Add(GetFirstCreated(prefix));
        TxnResponse joined = await _recipes.TxnAsync(txn, caller, ct).ConfigureAwait(false);
        long myRevision = joined.Succeeded ? joined.Header.Revision : joined.Responses[0].ResponseRange.Kvs[0].CreateRevision;
        var holder = joined.Responses[1].ResponseRange.Kvs;
        if (holder.Count == 0 || holder[0].CreateRevision == myRevision)
        {
            return new LockResponse { Header = server.Fill(joined.Header), Key = myKey };
        }

        RangeResponse own;
        try
        {
            await _recipes.WaitDeletesAsync(prefix, myRevision - 1, caller, ct).ConfigureAwait(false);
            // etcd 3.5: a waiter whose key went with its lease meanwhile does not hold the lock.
            own = await _recipes.GetAsync(new RangeRequest { Key = myKey }, caller, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException)
        {
            // A waiter that gives up (cancelled, deadline, error) leaves the queue, as etcd's Mutex.Lock does.
            await UnlockQuietlyAsync(myKey, caller).ConfigureAwait(false);
            throw;
        }
        if (own.Kvs.Count == 0) throw ErrorTable.For(RpcError.SessionExpired);
        return new LockResponse { Header = server.Fill(own.Header), Key = myKey };
    }

    /// <summary>Deletes the key, whoever holds it (etcd's Unlock is a plain delete).</summary>
    public override async Task<UnlockResponse> Unlock(UnlockRequest request, ServerCallContext context)
    {
        Caller caller = server.CallerOf(context);
        DeleteRangeResponse deleted = await _recipes.DeleteAsync(request.Key, caller, context.CancellationToken).ConfigureAwait(false);
        return new UnlockResponse { Header = server.Fill(deleted.Header) };
    }

    /// <summary>Mutex.Unlock on the client's own context: not bound to the call that gave up; its error is dropped.</summary>
    private async Task UnlockQuietlyAsync(ByteString key, Caller caller)
    {
        try
        {
            await _recipes.DeleteAsync(key, caller, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RpcException)
        {
        }
    }
}
