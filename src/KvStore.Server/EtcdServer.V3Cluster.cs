using Etcdserverpb;

namespace KvStore.Server;

/// <summary>etcd's Cluster verbs (etcdserver/server.go): checkMembershipOperationPermission, then the change on the leader.</summary>
public sealed partial class EtcdServer
{
    /// <inheritdoc/>
    public async Task<MembershipResult> MemberAddAsync(MemberAddRequest request, Caller caller, CancellationToken cancellationToken)
    {
        _auth.CheckAdmin(caller);
        if (request.IsLearner) throw new EtcdServerException(ServerError.LearnerNotSupported);
        return Checked(await AddMemberAsync(request.PeerURLs, request.IsLearner, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task<MembershipResult> MemberRemoveAsync(MemberRemoveRequest request, Caller caller, CancellationToken cancellationToken)
    {
        _auth.CheckAdmin(caller);
        return Checked(await RemoveMemberAsync(request.ID, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task<MembershipResult> MemberUpdateAsync(MemberUpdateRequest request, Caller caller, CancellationToken cancellationToken)
    {
        _auth.CheckAdmin(caller);
        return Checked(await UpdateMemberAsync(request.ID, request.PeerURLs, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task<MembershipResult> MemberPromoteAsync(MemberPromoteRequest request, Caller caller, CancellationToken cancellationToken)
    {
        _auth.CheckAdmin(caller);
        return Checked(await PromoteMemberAsync(request.ID, cancellationToken).ConfigureAwait(false));
    }

    private static MembershipResult Checked(MembershipResult result)
    {
        EtcdServerException.ThrowIf(result.Error);
        return result;
    }
}
