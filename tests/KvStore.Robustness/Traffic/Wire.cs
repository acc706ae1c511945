using Google.Protobuf;
using Grpc.Core;
using KvStore.Robustness.History;
using Rpc = Etcdserverpb;

namespace KvStore.Robustness.Traffic;

/// <summary>
/// Sends a recorded <see cref="Request"/> over etcd's gRPC API and turns the answer into a recorded
/// <see cref="Response"/>. Puts and deletes always ask for prev_kv, so the history shows what each write replaced.
/// </summary>
public static class Wire
{
    public static async Task<Response> SendAsync(MemberChannel member, Request request, DateTime deadline)
    {
        var options = new CallOptions(deadline: deadline);
        switch (request)
        {
            case RangeRequest r:
                return FromRange(await member.Kv.RangeAsync(ToRange(r), options).ConfigureAwait(false));
            case PutRequest p:
                return FromPut(await member.Kv.PutAsync(ToPut(p), options).ConfigureAwait(false));
            case DeleteRequest d:
                return FromDelete(await member.Kv.DeleteRangeAsync(ToDelete(d), options).ConfigureAwait(false));
            case TxnRequest t:
                return FromTxn(await member.Kv.TxnAsync(ToTxn(t), options).ConfigureAwait(false));
            case CompactRequest c:
                var compacted = await member.Kv.CompactAsync(new Rpc.CompactionRequest { Revision = c.Revision, Physical = c.Physical }, options)
                    .ConfigureAwait(false);
                return WithHeader(new CompactResponse(), compacted.Header);
            case LeaseGrantRequest g:
                var granted = await member.Lease.LeaseGrantAsync(new Rpc.LeaseGrantRequest { TTL = g.Ttl, ID = g.Id }, options).ConfigureAwait(false);
                if (granted.Error.Length > 0) throw new RpcException(new Status(StatusCode.FailedPrecondition, granted.Error));
                return WithHeader(new LeaseGrantResponse(granted.ID, granted.TTL), granted.Header);
            case LeaseRevokeRequest v:
                var revoked = await member.Lease.LeaseRevokeAsync(new Rpc.LeaseRevokeRequest { ID = v.Id }, options).ConfigureAwait(false);
                return WithHeader(new LeaseRevokeResponse(), revoked.Header);
            case LeaseKeepAliveRequest k:
                return await KeepAliveOnceAsync(member, k, options).ConfigureAwait(false);
            default:
                throw new ArgumentException($"no wire form for {request.GetType().Name}", nameof(request));
        }
    }

    /// <summary>One round trip on a fresh keep-alive stream (as etcdctl's `lease keep-alive --once`).</summary>
    private static async Task<Response> KeepAliveOnceAsync(MemberChannel member, LeaseKeepAliveRequest request, CallOptions options)
    {
        using var call = member.Lease.LeaseKeepAlive(options);
        await call.RequestStream.WriteAsync(new Rpc.LeaseKeepAliveRequest { ID = request.Id }).ConfigureAwait(false);
        if (!await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "keep-alive stream ended without a response"));
        }
        var answer = call.ResponseStream.Current;
        // Closing the send side ends the stream on the server too; disposing first would reset it mid-call.
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
            }
        }
        catch (RpcException)
        {
            // the answer came already: how the stream ends does not change it
        }
        return WithHeader(new LeaseKeepAliveResponse(answer.ID, answer.TTL), answer.Header);
    }

    public static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    public static Rpc.RangeRequest ToRange(RangeRequest r) => new()
    {
        Key = Bytes(r.Key),
        RangeEnd = r.RangeEnd is null ? ByteString.Empty : Bytes(r.RangeEnd),
        Revision = r.Revision,
        Serializable = r.Serializable,
        Limit = r.Limit,
    };

    public static Rpc.PutRequest ToPut(PutRequest p) => new() { Key = Bytes(p.Key), Value = Bytes(p.Value), Lease = p.Lease, PrevKv = true };

    public static Rpc.DeleteRangeRequest ToDelete(DeleteRequest d) => new()
    {
        Key = Bytes(d.Key),
        RangeEnd = d.RangeEnd is null ? ByteString.Empty : Bytes(d.RangeEnd),
        PrevKv = true,
    };

    public static Rpc.TxnRequest ToTxn(TxnRequest t)
    {
        var txn = new Rpc.TxnRequest();
        txn.Compare.AddRange(t.Compares.Select(ToCompare));
        txn.Success.AddRange(t.Success.Select(ToRequestOp));
        txn.Failure.AddRange(t.Failure.Select(ToRequestOp));
        return txn;
    }

    private static Rpc.Compare ToCompare(Compare c)
    {
        var compare = new Rpc.Compare
        {
            Key = Bytes(c.Key),
            Result = c.Result switch
            {
                CompareResult.Equal => Rpc.Compare.Types.CompareResult.Equal,
                CompareResult.Greater => Rpc.Compare.Types.CompareResult.Greater,
                CompareResult.Less => Rpc.Compare.Types.CompareResult.Less,
                _ => Rpc.Compare.Types.CompareResult.NotEqual,
            },
        };
        switch (c.Target)
        {
            case CompareTarget.Version:
                compare.Target = Rpc.Compare.Types.CompareTarget.Version;
                compare.Version = c.Number;
                break;
            case CompareTarget.Create:
                compare.Target = Rpc.Compare.Types.CompareTarget.Create;
                compare.CreateRevision = c.Number;
                break;
            case CompareTarget.Mod:
                compare.Target = Rpc.Compare.Types.CompareTarget.Mod;
                compare.ModRevision = c.Number;
                break;
            case CompareTarget.Lease:
                compare.Target = Rpc.Compare.Types.CompareTarget.Lease;
                compare.Lease = c.Number;
                break;
            default:
                compare.Target = Rpc.Compare.Types.CompareTarget.Value;
                compare.Value = Bytes(c.Value ?? "");
                break;
        }
        return compare;
    }

    private static Rpc.RequestOp ToRequestOp(Request request) => request switch
    {
        RangeRequest r => new Rpc.RequestOp { RequestRange = ToRange(r) },
        PutRequest p => new Rpc.RequestOp { RequestPut = ToPut(p) },
        DeleteRequest d => new Rpc.RequestOp { RequestDeleteRange = ToDelete(d) },
        _ => throw new ArgumentException($"a txn holds range, put and delete only, not {request.GetType().Name}", nameof(request)),
    };

    public static KeyValue FromKv(Mvccpb.KeyValue kv) =>
        new(kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);

    private static RangeResponse FromRange(Rpc.RangeResponse r) =>
        WithHeader(new RangeResponse(r.Kvs.Select(FromKv).ToList(), r.Count, r.More), r.Header);

    private static PutResponse FromPut(Rpc.PutResponse p) =>
        WithHeader(new PutResponse(p.PrevKv is null ? null : FromKv(p.PrevKv)), p.Header);

    private static DeleteResponse FromDelete(Rpc.DeleteRangeResponse d) =>
        WithHeader(new DeleteResponse(d.Deleted, d.PrevKvs.Select(FromKv).ToList()), d.Header);

    private static TxnResponse FromTxn(Rpc.TxnResponse t) =>
        WithHeader(new TxnResponse(t.Succeeded, t.Responses.Select(FromResponseOp).ToList()), t.Header);

    private static Response FromResponseOp(Rpc.ResponseOp op) => op.ResponseCase switch
    {
        Rpc.ResponseOp.ResponseOneofCase.ResponseRange => FromRange(op.ResponseRange),
        Rpc.ResponseOp.ResponseOneofCase.ResponsePut => FromPut(op.ResponsePut),
        Rpc.ResponseOp.ResponseOneofCase.ResponseDeleteRange => FromDelete(op.ResponseDeleteRange),
        _ => throw new InvalidDataException($"unexpected txn response {op.ResponseCase}"),
    };

    private static T WithHeader<T>(T response, Rpc.ResponseHeader? header) where T : Response =>
        header is null ? response : response with { Revision = header.Revision, Member = header.MemberId };
}
