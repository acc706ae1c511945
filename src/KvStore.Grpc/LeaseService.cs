using Etcdserverpb;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>etcd's Lease service (api/v3rpc/lease.go): call the member's lessor verbs, fill the header.</summary>
public sealed class LeaseService(IEtcdServer server, LeaseIdGenerator ids) : Lease.LeaseBase
{
    public override async Task<LeaseGrantResponse> LeaseGrant(LeaseGrantRequest request, ServerCallContext context)
    {
        // etcd: no id given, the member picks a positive one (reqIDGen), so every member applies the same id.
        if (request.ID == 0) request.ID = ids.Next();
        LeaseGrantResponse response = await server.LeaseGrantAsync(request, server.CallerOf(context), context.CancellationToken)
            .ConfigureAwait(false);
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<LeaseRevokeResponse> LeaseRevoke(LeaseRevokeRequest request, ServerCallContext context)
    {
        LeaseRevokeResponse response = await server.LeaseRevokeAsync(request, server.CallerOf(context), context.CancellationToken)
            .ConfigureAwait(false);
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<LeaseTimeToLiveResponse> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        try
        {
            return await server.LeaseTimeToLiveAsync(request, server.CallerOf(context), context.CancellationToken).ConfigureAwait(false);
        }
        catch (EtcdServerException e) when (e.MvccError == MvccError.LeaseNotFound)
        {
            // etcd's v3rpc answers a lease that does not exist with TTL -1, not an error.
            return new LeaseTimeToLiveResponse { ID = request.ID, TTL = -1, Header = server.Header(server.CurrentRevision) };
        }
    }

    public override async Task<LeaseLeasesResponse> LeaseLeases(LeaseLeasesRequest request, ServerCallContext context)
    {
        LeaseLeasesResponse response = await server.LeaseLeasesAsync(request, context.CancellationToken).ConfigureAwait(false);
        response.Header = server.Fill(response.Header);
        return response;
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
            var response = new LeaseKeepAliveResponse { ID = id, Header = server.Header(server.CurrentRevision) };
            try
            {
                response.TTL = await server.LeaseRenewAsync(id, ct).ConfigureAwait(false);
            }
            catch (EtcdServerException e) when (e.MvccError == MvccError.LeaseNotFound)
            {
                response.TTL = 0; // etcd: TTL 0 tells the client the lease is gone
            }
            await responseStream.WriteAsync(response, ct).ConfigureAwait(false);
        }
    }
}
