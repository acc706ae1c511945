using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's Cluster service (api/v3rpc/member.go). MemberList reads the member's view of the cluster. Member
/// reconfiguration (add, remove, update, promote) is not built yet: those answer etcd's "not capable" error.
/// </summary>
public sealed class ClusterService(IEtcdServer server) : Cluster.ClusterBase
{
    public override Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context)
    {
        var response = new MemberListResponse { Header = Header() };
        foreach (MemberInfo m in server.Members) response.Members.Add(ToProto(m));
        return Task.FromResult(response);
    }

    public override Task<MemberAddResponse> MemberAdd(MemberAddRequest request, ServerCallContext context) =>
        throw ErrorTable.For(RpcError.NotCapable);

    public override Task<MemberRemoveResponse> MemberRemove(MemberRemoveRequest request, ServerCallContext context) =>
        throw ErrorTable.For(RpcError.NotCapable);

    public override Task<MemberUpdateResponse> MemberUpdate(MemberUpdateRequest request, ServerCallContext context) =>
        throw ErrorTable.For(RpcError.NotCapable);

    public override Task<MemberPromoteResponse> MemberPromote(MemberPromoteRequest request, ServerCallContext context) =>
        throw ErrorTable.For(RpcError.NotCapable);

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
