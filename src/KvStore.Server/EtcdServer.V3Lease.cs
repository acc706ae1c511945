using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Access;

namespace KvStore.Server;

/// <summary>etcd's Lessor verbs (etcdserver/v3_server.go): grant and revoke proposed; renew and time-to-live on the leader's clock.</summary>
public sealed partial class EtcdServer
{
    /// <inheritdoc/>
    public async Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, Caller caller, CancellationToken cancellationToken) =>
        EtcdServerException.Unwrap<LeaseGrantResponse>(await ProposeAsync(new InternalRaftRequest { LeaseGrant = request }, caller,
            cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<LeaseRevokeResponse> LeaseRevokeAsync(LeaseRevokeRequest request, Caller caller, CancellationToken cancellationToken) =>
        EtcdServerException.Unwrap<LeaseRevokeResponse>(await ProposeAsync(new InternalRaftRequest { LeaseRevoke = request }, caller,
            cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<long> LeaseRenewAsync(long id, CancellationToken cancellationToken)
    {
        var (response, mvccError, error) = await LessorRenewAsync(id, cancellationToken).ConfigureAwait(false);
        EtcdServerException.ThrowIf(error);
        EtcdServerException.ThrowIf(mvccError);
        return response!.TTL;
    }

    /// <inheritdoc/>
    public async Task<LeaseTimeToLiveResponse> LeaseTimeToLiveAsync(LeaseTimeToLiveRequest request, Caller caller,
        CancellationToken cancellationToken)
    {
        var (response, mvccError, error) = await LessorTimeToLiveAsync(request, cancellationToken).ConfigureAwait(false);
        EtcdServerException.ThrowIf(error);
        EtcdServerException.ThrowIf(mvccError);
        if (request.Keys)
        {
            // etcd 3.5.10+: the keys of a lease are shown only to a user who may read every one of them.
            foreach (ByteString key in response!.Keys)
            {
                AuthStore.CheckRead(caller, user => _auth.IsRangePermitted(user, key.Span, default));
            }
        }
        response!.Header = Header(Store.CurrentRevision); // etcd's lessor leaves the header empty; v3rpc adds the current revision
        return response;
    }

    /// <inheritdoc/>
    public Task<LeaseLeasesResponse> LeaseLeasesAsync(LeaseLeasesRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(Store.Lessor.Leases());
}
