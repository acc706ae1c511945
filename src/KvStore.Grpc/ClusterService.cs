using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's Cluster service (api/v3rpc/member.go). MemberList answers from this member's record. Changes run on
/// the leader: a follower's member passes them on over the peer port (etcd's followers propose conf changes
/// through Raft). Learners do not exist here: DotNext's Raft has no
/// non-voting member, so `member add --learner` fails with a message saying so.
/// </summary>
public sealed class ClusterService(IEtcdServer server) : Cluster.ClusterBase
{
    public override Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context)
    {
        var response = new MemberListResponse { Header = Header() };
        foreach (MemberInfo m in server.Members) response.Members.Add(ToProto(m));
        return Task.FromResult(response);
    }

    public override async Task<MemberAddResponse> MemberAdd(MemberAddRequest request, ServerCallContext context)
    {
        CheckAdmin();
        if (request.IsLearner) throw ErrorTable.For(ServerError.LearnerNotSupported);
        MembershipResult r = await server.AddMemberAsync(request.PeerURLs, request.IsLearner, context.CancellationToken).ConfigureAwait(false);
        var response = new MemberAddResponse { Header = Header(), Member = ToProto(Unwrap(r)) };
        response.Members.AddRange(r.Members.Select(ToProto));
        return response;
    }

    public override async Task<MemberRemoveResponse> MemberRemove(MemberRemoveRequest request, ServerCallContext context)
    {
        CheckAdmin();
        MembershipResult r = await server.RemoveMemberAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
        Unwrap(r);
        var response = new MemberRemoveResponse { Header = Header() };
        response.Members.AddRange(r.Members.Select(ToProto));
        return response;
    }

    public override async Task<MemberUpdateResponse> MemberUpdate(MemberUpdateRequest request, ServerCallContext context)
    {
        CheckAdmin();
        MembershipResult r = await server.UpdateMemberAsync(request.ID, request.PeerURLs, context.CancellationToken).ConfigureAwait(false);
        Unwrap(r);
        var response = new MemberUpdateResponse { Header = Header() };
        response.Members.AddRange(r.Members.Select(ToProto));
        return response;
    }

    public override async Task<MemberPromoteResponse> MemberPromote(MemberPromoteRequest request, ServerCallContext context)
    {
        CheckAdmin();
        MembershipResult r = await server.PromoteMemberAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
        Unwrap(r);
        var response = new MemberPromoteResponse { Header = Header() };
        response.Members.AddRange(r.Members.Select(ToProto));
        return response;
    }

    private static MemberInfo Unwrap(MembershipResult r) =>
        r.Error != ServerError.None ? throw ErrorTable.For(r.Error) : r.Member!;

    /// <summary>etcd's checkMembershipOperationPermission: member changes need the root role when auth is on.</summary>
    private void CheckAdmin()
    {
        KvStore.Mvcc.MvccError error = server.CheckAdmin();
        if (error != KvStore.Mvcc.MvccError.None) throw ErrorTable.For(error);
    }

    /// <summary>etcd's ClusterServer.header: ids and term, no revision.</summary>
    private ResponseHeader Header()
    {
        ResponseHeader header = server.Header(0);
        header.Revision = 0;
        return header;
    }

    private static Member ToProto(MemberInfo m)
    {
        var member = new Member { ID = m.Id, Name = m.Name, IsLearner = m.IsLearner };
        member.PeerURLs.AddRange(m.PeerUrls);
        member.ClientURLs.AddRange(m.ClientUrls);
        return member;
    }
}
