using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Server;
using Mvccpb;
using V3electionpb;
using static KvStore.Grpc.ConcurrencyRecipes;

namespace KvStore.Grpc;

/// <summary>
/// etcd's v3election service (etcdserver/api/v3election/election.go over clientv3/concurrency/election.go). A
/// candidate is a key "name/lease-id-in-hex" on its lease holding its value; the leader is the candidate
/// created first. A leader is addressed by its <see cref="LeaderKey"/> (key and create revision), so a
/// candidate whose key went with its lease and came back is no longer that leader.
/// </summary>
public sealed class ElectionService(IEtcdServer server, LeaseIdGenerator ids) : V3electionpb.Election.ElectionBase
{
    private readonly ConcurrencyRecipes _recipes = new(server, ids);

    /// <summary>Waits until this candidate leads: until every candidate created before it is gone.</summary>
    public override async Task<CampaignResponse> Campaign(CampaignRequest request, ServerCallContext context)
    {
        Caller caller = server.CallerOf(context);
        CancellationToken ct = context.CancellationToken;
        long lease = await _recipes.SessionLeaseAsync(request.Lease, caller, ct).ConfigureAwait(false);
        ByteString prefix = Prefix(request.Name);
        ByteString key = SessionKey(prefix, lease);

        var txn = new TxnRequest();
        txn.Compare.Add(CreateRevisionIs(key, 0));
        txn.Success.Add(Put(key, request.Value, lease));
        txn.Failure.Add(Get(key));
        TxnResponse joined = await _recipes.TxnAsync(txn, caller, ct).ConfigureAwait(false);
        long revision = joined.Header.Revision;
        if (!joined.Succeeded)
        {
            // This lease already campaigns: keep its place, and its value becomes the one asked for.
            KeyValue kv = joined.Responses[0].ResponseRange.Kvs[0];
            revision = kv.CreateRevision;
            if (kv.Value != request.Value)
            {
                try
                {
                    if (!await ProclaimAsync(key, revision, lease, request.Value, caller, ct).ConfigureAwait(false))
                    {
                        throw ErrorTable.For(RpcError.ElectionNotLeader);
                    }
                }
                catch (Exception e) when (e is RpcException or OperationCanceledException)
                {
                    await ResignAsync(key, revision, caller, ct).ConfigureAwait(false);
                    throw;
                }
            }
        }

        try
        {
            await _recipes.WaitDeletesAsync(prefix, revision - 1, caller, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // A campaign the caller gave up withdraws its candidate (Resign on the client's own context).
            await ResignQuietlyAsync(key, revision, caller).ConfigureAwait(false);
            throw;
        }
        return new CampaignResponse
        {
            Header = server.Fill(joined.Header),
            Leader = new LeaderKey { Name = request.Name, Key = key, Rev = revision, Lease = lease },
        };
    }

    /// <summary>The leader sets a new value without a new election; anyone else is "not leader".</summary>
    public override async Task<ProclaimResponse> Proclaim(ProclaimRequest request, ServerCallContext context)
    {
        Caller caller = server.CallerOf(context);
        LeaderKey leader = request.Leader ?? throw ErrorTable.For(RpcError.MissingLeaderKey);
        CancellationToken ct = context.CancellationToken;
        long lease = await _recipes.SessionLeaseAsync(leader.Lease, caller, ct).ConfigureAwait(false);
        var txn = new TxnRequest();
        txn.Compare.Add(CreateRevisionIs(leader.Key, leader.Rev));
        txn.Success.Add(Put(leader.Key, request.Value, lease));
        TxnResponse response = await _recipes.TxnAsync(txn, caller, ct).ConfigureAwait(false);
        if (!response.Succeeded) throw ErrorTable.For(RpcError.ElectionNotLeader);
        return new ProclaimResponse { Header = server.Fill(response.Header) };
    }

    /// <summary>The current leader's key-value; "no leader" when nobody campaigns.</summary>
    public override async Task<LeaderResponse> Leader(LeaderRequest request, ServerCallContext context)
    {
        Caller caller = server.CallerOf(context);
        RangeResponse response = await _recipes.GetFirstCreatedAsync(Prefix(request.Name), caller, context.CancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count == 0) throw ErrorTable.For(RpcError.ElectionNoLeader);
        return new LeaderResponse { Header = server.Fill(response.Header), Kv = response.Kvs[0] };
    }

    /// <summary>Deletes the candidate's key if it is still the one the leader key names; nothing otherwise.</summary>
    public override async Task<ResignResponse> Resign(ResignRequest request, ServerCallContext context)
    {
        Caller caller = server.CallerOf(context);
        LeaderKey leader = request.Leader ?? throw ErrorTable.For(RpcError.MissingLeaderKey);
        CancellationToken ct = context.CancellationToken;
        await _recipes.SessionLeaseAsync(leader.Lease, caller, ct).ConfigureAwait(false); // etcd opens a session here too
        TxnResponse response = await ResignCoreAsync(leader.Key, leader.Rev, caller, ct).ConfigureAwait(false);
        return new ResignResponse { Header = server.Fill(response.Header) };
    }

    /// <summary>
    /// Streams the leader, then each new value it proclaims, then the next leader once it is gone (concurrency's
    /// Election.Observe). Values a leader sets between two reads may be skipped; the latest is always sent. The
    /// stream ends without error when the member cannot be read or a watch start was compacted, as etcd's does.
    /// </summary>
    public override async Task Observe(LeaderRequest request, IServerStreamWriter<LeaderResponse> responseStream, ServerCallContext context)
    {
        Caller caller = server.CallerOf(context);
        CancellationToken ct = context.CancellationToken;
        ByteString prefix = Prefix(request.Name);
        while (true)
        {
            RangeResponse first;
            try
            {
                first = await _recipes.GetFirstCreatedAsync(prefix, caller, ct).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                return;
            }

            LeaderResponse? leader = first.Kvs.Count > 0
                ? new LeaderResponse { Header = server.Fill(first.Header), Kv = first.Kvs[0] }
                : await FirstPutAsync(prefix, first.Header.Revision, ct).ConfigureAwait(false);
            if (leader is null) return;
            await responseStream.WriteAsync(leader, ct).ConfigureAwait(false);

            // Follow this leader's key: each put is a new value; its deletion starts over with the next leader.
            bool deleted = false;
            await foreach (WatchResponse response in _recipes.WatchAsync(leader.Kv.Key, ByteString.Empty, leader.Header.Revision + 1, ct)
                .ConfigureAwait(false))
            {
                if (response.CompactRevision != 0) return;
                foreach (Event e in response.Events)
                {
                    if (e.Type == Event.Types.EventType.Delete)
                    {
                        deleted = true;
                        break;
                    }
                    await responseStream.WriteAsync(new LeaderResponse { Header = WatchHeader(response), Kv = e.Kv }, ct).ConfigureAwait(false);
                }
                if (deleted) break;
            }
        }
    }

    /// <summary>With no candidate: waits for the first put under the prefix from <paramref name="revision"/> (deletions are passed over).</summary>
    private async Task<LeaderResponse?> FirstPutAsync(ByteString prefix, long revision, CancellationToken ct)
    {
        await foreach (WatchResponse response in _recipes.WatchAsync(prefix, PrefixEnd(prefix), revision, ct).ConfigureAwait(false))
        {
            if (response.CompactRevision != 0) return null;
            Event? put = response.Events.FirstOrDefault(e => e.Type == Event.Types.EventType.Put);
            // etcd sends the watch response's header with the revision of that put (a response may hold several).
            if (put is not null) return new LeaderResponse { Header = server.Header(put.Kv.ModRevision), Kv = put.Kv };
        }
        return null;
    }

    private ResponseHeader WatchHeader(WatchResponse response) => server.Header(response.Header?.Revision ?? 0);

    /// <summary>Election.Proclaim on a known leader key: false when the key is gone or was created anew.</summary>
    private async Task<bool> ProclaimAsync(ByteString key, long revision, long lease, ByteString value, Caller caller, CancellationToken ct)
    {
        var txn = new TxnRequest();
        txn.Compare.Add(CreateRevisionIs(key, revision));
        txn.Success.Add(Put(key, value, lease));
        return (await _recipes.TxnAsync(txn, caller, ct).ConfigureAwait(false)).Succeeded;
    }

    /// <summary>Election.Resign: deletes the key only while it is the candidate created at <paramref name="revision"/>.</summary>
    private Task<TxnResponse> ResignCoreAsync(ByteString key, long revision, Caller caller, CancellationToken ct)
    {
        var txn = new TxnRequest();
        txn.Compare.Add(CreateRevisionIs(key, revision));
        txn.Success.Add(Delete(key));
        return _recipes.TxnAsync(txn, caller, ct);
    }

    /// <summary>Resign whose own failure is dropped, as Campaign's clean-up drops it in etcd.</summary>
    private async Task ResignAsync(ByteString key, long revision, Caller caller, CancellationToken ct)
    {
        try
        {
            await ResignCoreAsync(key, revision, caller, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException)
        {
        }
    }

    private Task ResignQuietlyAsync(ByteString key, long revision, Caller caller) => ResignAsync(key, revision, caller, CancellationToken.None);
}
