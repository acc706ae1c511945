using Etcdserverpb;
using Grpc.Core;
using KvStore.Server.Leases;
using KvStore.Server.Members;
using KvStore.Server.Replication;
using Kvstorepb;

namespace KvStore.Server.Transport;

/// <summary>The member's components that serve the other members' peer calls.</summary>
internal sealed record PeerHandlers(Proposer Proposer, ReadIndex ReadIndex, LeaseKeeper LeaseKeeper, Membership Membership,
    MembershipChanges MembershipChanges, LeaderTransfer LeaderTransfer);

/// <summary>
/// The member-internal gRPC service on the peer port (proto/kvstore/forward.proto): proposals, read index, lease
/// keep-alive and time-to-live, leadership confirmation, membership changes and leader-transfer stand-by, each run by
/// the member. With peer TLS the handshake already proved the caller holds a peer certificate; every call must also
/// name this cluster and one of its members.
/// </summary>
internal sealed class PeerService(PeerHandlers handlers) : Forward.ForwardBase
{
    /// <summary>Metadata names on every call between members: the caller's cluster and member id (hex).</summary>
    public const string ClusterIdHeader = "kvstore-cluster-id", MemberIdHeader = "kvstore-member-id";

    public override Task<ForwardResults> Propose(RaftBatch request, ServerCallContext context)
    {
        CheckCaller(context);
        return handlers.Proposer.ProposeForwardedAsync(request, context.CancellationToken);
    }

    public override Task<ReadIndexResponse> ReadIndex(ReadIndexRequest request, ServerCallContext context)
    {
        CheckCaller(context);
        return handlers.ReadIndex.LeaderReadIndexAsync(context.CancellationToken);
    }

    /// <summary>
    /// Read indexes on one stream: each request's round runs on its own, so answers may come out of order (their seq
    /// names the request); the call ends once every answer is written.
    /// </summary>
    public override async Task ReadIndexStream(IAsyncStreamReader<ReadIndexRequest> requestStream,
        IServerStreamWriter<ReadIndexResponse> responseStream, ServerCallContext context)
    {
        CheckCaller(context);
        using var writer = new SemaphoreSlim(1, 1);
        var answering = new List<Task>();
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                answering.RemoveAll(t => t.IsCompleted);
                answering.Add(AnswerAsync(requestStream.Current.Seq));
            }
        }
        finally
        {
            await Task.WhenAll(answering).ConfigureAwait(false);
        }

        async Task AnswerAsync(ulong seq)
        {
            ReadIndexResponse answer = await handlers.ReadIndex.LeaderReadIndexAsync(context.CancellationToken).ConfigureAwait(false);
            answer.Seq = seq;
            await writer.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            try
            {
                await responseStream.WriteAsync(answer).ConfigureAwait(false);
            }
            finally
            {
                writer.Release();
            }
        }
    }

    public override Task<LeaseRenewResult> LeaseRenew(LeaseKeepAliveRequest request, ServerCallContext context)
    {
        CheckCaller(context);
        return handlers.LeaseKeeper.LeaderRenewAsync(request.ID);
    }

    public override Task<LeaseTimeToLiveResult> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        CheckCaller(context);
        return handlers.LeaseKeeper.LeaderTimeToLiveAsync(request);
    }

    public override Task<ConfirmLeaderResponse> ConfirmLeader(ConfirmLeaderRequest request, ServerCallContext context) =>
        Task.FromResult(handlers.ReadIndex.ConfirmLeader(request.Term, CheckCaller(context)));

    public override async Task ConfirmLeaderStream(IAsyncStreamReader<ConfirmLeaderRequest> requestStream,
        IServerStreamWriter<ConfirmLeaderResponse> responseStream, ServerCallContext context)
    {
        ulong caller = CheckCaller(context);
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            ConfirmLeaderRequest request = requestStream.Current;
            ConfirmLeaderResponse answer = handlers.ReadIndex.ConfirmLeader(request.Term, caller);
            answer.Seq = request.Seq;
            await responseStream.WriteAsync(answer).ConfigureAwait(false);
        }
    }

    public override Task<MembershipChangeResult> ChangeMembership(MembershipChange request, ServerCallContext context)
    {
        CheckCaller(context);
        return handlers.MembershipChanges.LeaderChangeAsync(request, context.CancellationToken);
    }

    public override async Task<StandByResponse> StandBy(StandByRequest request, ServerCallContext context)
    {
        CheckCaller(context);
        ServerError error = await handlers.LeaderTransfer.StandByAsync(request.TargetId, context.CancellationToken).ConfigureAwait(false);
        return new StandByResponse { ServerError = (int)error };
    }

    /// <summary>
    /// No caller check: a member being added has no record yet to check one against (with peer TLS only a holder of a
    /// peer certificate gets here); a member that has joined keeps its id whatever it is told.
    /// </summary>
    public override Task<JoinResponse> Join(JoinRequest request, ServerCallContext context) =>
        Task.FromResult(handlers.Membership.AcceptJoin(request));

    /// <summary>The calling member's id; refuses a call that does not name this cluster and one of its members.</summary>
    private ulong CheckCaller(ServerCallContext context)
    {
        string? cluster = context.RequestHeaders.GetValue(ClusterIdHeader);
        string? member = context.RequestHeaders.GetValue(MemberIdHeader);
        if (cluster != handlers.Membership.ClusterId.ToString("x16") || handlers.Membership.Members.All(m => m.Id.ToString("x16") != member))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "kvstore: forwarding is for members of this cluster"));
        }
        return Convert.ToUInt64(member, 16);
    }
}
