using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's Cluster service (api/v3rpc/member.go). MemberList answers from this member's record; changes run on the
/// leader (a follower's member passes them on). Learners do not exist here: DotNext's Raft has no non-voting member,
/// so `member add --learner` fails with a message saying so.
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
        MembershipResult r = await server.MemberAddAsync(request, server.CallerOf(context), context.CancellationToken).ConfigureAwait(false);
        var response = new MemberAddResponse { Header = Header(), Member = ToProto(r.Member!) };
        response.Members.AddRange(r.Members.Select(ToProto));
        return response;
    }

    public override async Task<MemberRemoveResponse> MemberRemove(MemberRemoveRequest request, ServerCallContext context)
    {
        MembershipResult r = await server.MemberRemoveAsync(request, server.CallerOf(context), context.CancellationToken).ConfigureAwait(false);
        var response = new MemberRemoveResponse { Header = Header() };
        response.Members.AddRange(r.Members.Select(ToProto));
        return response;
    }

    public override async Task<MemberUpdateResponse> MemberUpdate(MemberUpdateRequest request, ServerCallContext context)
    {
        MembershipResult r = await server.MemberUpdateAsync(request, server.CallerOf(context), context.CancellationToken).ConfigureAwait(false);
        var response = new MemberUpdateResponse { Header = Header() };
        response.Members.AddRange(r.Members.Select(ToProto));
        return response;
    }

    public override async Task<MemberPromoteResponse> MemberPromote(MemberPromoteRequest request, ServerCallContext context)
    {
        MembershipResult r = await server.MemberPromoteAsync(request, server.CallerOf(context), context.CancellationToken).ConfigureAwait(false);
        var response = new MemberPromoteResponse { Header = Header() };
        response.Members.AddRange(r.Members.Select(ToProto));
        return response;
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
