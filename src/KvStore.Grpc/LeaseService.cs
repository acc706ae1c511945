using Etcdserverpb;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's Lease service (api/v3rpc/lease.go over etcdserver/v3_server.go). Grant and revoke are proposals;
/// keep-alive and time-to-live run on the leader's lessor clock through the member.
/// </summary>
public sealed class LeaseService(IEtcdServer server, LeaseIdGenerator ids) : Lease.LeaseBase
{
    public override async Task<LeaseGrantResponse> LeaseGrant(LeaseGrantRequest request, ServerCallContext context)
    {
        // etcd: no id given, the member picks a positive one (reqIDGen), so every member applies the same id.
        if (request.ID == 0) request.ID = ids.Next();
        ProposeResult result = await server.ProposeAsync(new InternalRaftRequest { LeaseGrant = request }, context.CancellationToken).ConfigureAwait(false);
        LeaseGrantResponse response = result.Unwrap<LeaseGrantResponse>();
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<LeaseRevokeResponse> LeaseRevoke(LeaseRevokeRequest request, ServerCallContext context)
    {
        ProposeResult result = await server.ProposeAsync(new InternalRaftRequest { LeaseRevoke = request }, context.CancellationToken).ConfigureAwait(false);
        LeaseRevokeResponse response = result.Unwrap<LeaseRevokeResponse>();
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<LeaseTimeToLiveResponse> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        var (response, mvccError, error) = await server.LeaseTimeToLiveAsync(request, context.CancellationToken).ConfigureAwait(false);
        if (error != ServerError.None) throw ErrorTable.For(error);
        // etcd's v3rpc answers a lease that does not exist with TTL -1, not an error.
        if (mvccError == MvccError.LeaseNotFound) response = new LeaseTimeToLiveResponse { ID = request.ID, TTL = -1 };
        else if (mvccError != MvccError.None || response is null) throw ErrorTable.For(mvccError);
        else if (request.Keys)
        {
            // etcd 3.5.10+: the keys of a lease are shown only to a user who may read every one of them.
            foreach (Google.Protobuf.ByteString key in response.Keys)
            {
                MvccError denied = server.CheckRead(ai => server.Store.IsOpPermitted(ai, key.Span, default, write: false), out _);
                if (denied != MvccError.None) throw ErrorTable.For(denied);
            }
        }
        response.Header = server.Header(server.Store.CurrentRevision); // etcd's lessor leaves the header empty; fill adds the current revision
        return response;
    }

    public override Task<LeaseLeasesResponse> LeaseLeases(LeaseLeasesRequest request, ServerCallContext context)
    {
        LeaseLeasesResponse response = server.Store.LeaseLeases();
        response.Header = server.Fill(response.Header);
        return Task.FromResult(response);
    }

    public override async Task LeaseKeepAlive(IAsyncStreamReader<LeaseKeepAliveRequest> requestStream,
        IServerStreamWriter<LeaseKeepAliveResponse> responseStream, ServerCallContext context)
    {
        CancellationToken ct = context.CancellationToken;
        while (await requestStream.MoveNext(ct).ConfigureAwait(false))
        {
            long id = requestStream.Current.ID;
            // etcd fills the header before renewing, so its revision is at or below the one the renewal happened
            // at: a client never sees a keep-alive succeed at a revision after the lease was revoked.
            var response = new LeaseKeepAliveResponse { ID = id, Header = server.Header(server.Store.CurrentRevision) };
            var (renewed, mvccError, error) = await server.LeaseRenewAsync(id, ct).ConfigureAwait(false);
            if (error != ServerError.None) throw ErrorTable.For(error);
            if (mvccError == MvccError.LeaseNotFound) response.TTL = 0; // etcd: TTL 0 tells the client the lease is gone
            else if (mvccError != MvccError.None || renewed is null) throw ErrorTable.For(mvccError);
            else response.TTL = renewed.TTL;
            await responseStream.WriteAsync(response, ct).ConfigureAwait(false);
        }
    }
}
