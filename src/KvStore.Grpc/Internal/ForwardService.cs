using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;
using Kvstorepb;

namespace KvStore.Grpc.Internal;

/// <summary>
/// The internal service followers call on the leader's client URL (proto/kvstore/forward.proto): proposals,
/// read index, lease keep-alive and time-to-live. Thin: everything happens in the member's <see cref="IForwardTarget"/>.
/// </summary>
public sealed class ForwardService(IEtcdServer server) : Forward.ForwardBase
{
    private IForwardTarget Target => server as IForwardTarget ?? throw new RpcException(new Status(StatusCode.Unimplemented, "member does not serve forwarding"));

    public override Task<ForwardResults> Propose(RaftBatch request, ServerCallContext context) =>
        Target.ProposeForwardedAsync(request, context.CancellationToken);

    public override Task<ReadIndexResponse> ReadIndex(ReadIndexRequest request, ServerCallContext context) =>
        Target.LeaderReadIndexAsync(context.CancellationToken);

    public override Task<LeaseRenewResult> LeaseRenew(LeaseKeepAliveRequest request, ServerCallContext context) =>
        Target.LeaderLeaseRenewAsync(request.ID, context.CancellationToken);

    public override Task<LeaseTimeToLiveResult> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context) =>
        Target.LeaderLeaseTimeToLiveAsync(request, context.CancellationToken);
}
