using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;
using Kvstorepb;

namespace KvStore.Grpc.Internal;

/// <summary>
/// The internal service followers call on the leader's client URL (proto/kvstore/forward.proto): proposals,
/// read index, lease keep-alive and time-to-live. Thin: everything happens in the member's <see cref="IForwardTarget"/>.
/// Commands arrive already validated by the follower, so only members may call: the call must name this cluster
/// and one of its members (a guard against a stray client, not authentication: the client URL has no peer TLS).
/// </summary>
public sealed class ForwardService(IEtcdServer server) : Forward.ForwardBase
{
    public override Task<ForwardResults> Propose(RaftBatch request, ServerCallContext context) =>
        Target(context).ProposeForwardedAsync(request, context.CancellationToken);

    public override Task<ReadIndexResponse> ReadIndex(ReadIndexRequest request, ServerCallContext context) =>
        Target(context).LeaderReadIndexAsync(context.CancellationToken);

    public override Task<LeaseRenewResult> LeaseRenew(LeaseKeepAliveRequest request, ServerCallContext context) =>
        Target(context).LeaderLeaseRenewAsync(request.ID, context.CancellationToken);

    public override Task<LeaseTimeToLiveResult> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context) =>
        Target(context).LeaderLeaseTimeToLiveAsync(request, context.CancellationToken);

    public override Task<ConfirmLeaderResponse> ConfirmLeader(ConfirmLeaderRequest request, ServerCallContext context)
    {
        IForwardTarget target = Target(context);
        ulong caller = Convert.ToUInt64(context.RequestHeaders.GetValue(EtcdServer.MemberIdHeader), 16);
        return Task.FromResult(target.ConfirmLeader(request.Term, caller));
    }

    private IForwardTarget Target(ServerCallContext context)
    {
        if (server is not IForwardTarget target) throw ErrorTable.For(RpcError.NotCapable);
        string? cluster = context.RequestHeaders.GetValue(EtcdServer.ClusterIdHeader);
        string? member = context.RequestHeaders.GetValue(EtcdServer.MemberIdHeader);
        if (cluster != server.ClusterId.ToString("x16") || server.Members.All(m => m.Id.ToString("x16") != member))
        {
            throw ErrorTable.For(RpcError.NotAPeer);
        }
        return target;
    }
}
