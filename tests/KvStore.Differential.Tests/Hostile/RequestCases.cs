using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// Hostile requests that are well-formed gRPC: empty keys, sizes over --max-request-bytes and gRPC's limit, too many
/// txn ops, inverted and from-key ranges, negative limits and revisions, enum values outside their enums, unknown
/// lease and watch ids. The keys a=1, b=2, c=3 exist; cases write only keys starting with "0".
/// </summary>
internal static class RequestCases
{
    public const string EmptyKey = "InvalidArgument \"etcdserver: key is not provided\"";
    public const string TooLarge = "InvalidArgument \"etcdserver: request is too large\"";
    public const string TooManyOps = "InvalidArgument \"etcdserver: too many operations in txn request\"";
    public const string DuplicateKey = "InvalidArgument \"etcdserver: duplicate key given in txn request\"";
    public const string LeaseNotFound = "NotFound \"etcdserver: requested lease not found\"";
    public const string FutureRevision = "OutOfRange \"etcdserver: mvcc: required revision is a future revision\"";
    public const string InvalidSortOption = "InvalidArgument \"etcdserver: invalid sort option\"";

    private const string SortFixedIn35 =
        "etcd 3.5's checkRangeRequest refuses sort values outside the enums; kvstore answers as 3.5 does";

    public static IEnumerable<HostileCase> All =>
    [
        new("put: empty key", EmptyKey, async s => Ok(await s.Kv.PutAsync(new PutRequest { Value = B("v") }, s.Admin))),
        new("range: empty key", EmptyKey, async s => Outcome.Of(await s.Kv.RangeAsync(new RangeRequest(), s.Admin))),
        new("delete: empty key", EmptyKey, async s => Outcome.Of(await s.Kv.DeleteRangeAsync(new DeleteRangeRequest { RangeEnd = B("z") }, s.Admin))),
        new("txn: compare with an empty key", EmptyKey, async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Compare = { new Compare { Target = Compare.Types.CompareTarget.Version, Version = 0 } },
        }, s.Admin))),
        new("txn: put with an empty key", EmptyKey, async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Success = { Put("0txn"), new RequestOp { RequestPut = new PutRequest { Value = B("v") } } },
        }, s.Admin))),
        new("txn: an op with no request in it", "InvalidArgument \"etcdserver: key not found\"", async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Success = { new RequestOp() },
        }, s.Admin))),
        new("put: ignore_value with a value", "InvalidArgument \"etcdserver: value is provided\"", async s =>
            Ok(await s.Kv.PutAsync(new PutRequest { Key = B("a"), Value = B("v"), IgnoreValue = true }, s.Admin))),
        new("put: ignore_lease with a lease", "InvalidArgument \"etcdserver: lease is provided\"", async s =>
            Ok(await s.Kv.PutAsync(new PutRequest { Key = B("a"), Lease = 5, IgnoreLease = true }, s.Admin))),

        // sizes
        new("put: value over --max-request-bytes", TooLarge, async s =>
            Ok(await s.Kv.PutAsync(new PutRequest { Key = B("0big"), Value = Bytes(PlainPair.MaxRequestBytes + 1) }, s.Admin))),
        new("put: key over --max-request-bytes", TooLarge, async s =>
            Ok(await s.Kv.PutAsync(new PutRequest { Key = ByteString.CopyFrom(new byte[PlainPair.MaxRequestBytes + 1]), Value = B("v") }, s.Admin))),
        new("txn: puts adding up over --max-request-bytes", TooLarge, async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Success = { Enumerable.Range(0, 6).Select(i => new RequestOp { RequestPut = new PutRequest { Key = B($"0t{i}"), Value = Bytes(2048) } }) },
        }, s.Admin))),
        // a read is not proposed: etcd checks the size of proposals only
        new("range: key over --max-request-bytes", "OK count=0 keys=[]", async s =>
            Outcome.Of(await s.Kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(new byte[PlainPair.MaxRequestBytes * 2]) }, s.Admin))),
        // gRPC's own limit is --max-request-bytes plus 512 KiB
        new("put: message over gRPC's limit", OverGrpcLimit(), async s =>
            Ok(await s.Kv.PutAsync(OverGrpcLimitPut, s.Admin))),

        // txn ops
        new("txn: one op over --max-txn-ops", TooManyOps, async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Success = { Enumerable.Range(0, PlainPair.MaxTxnOps + 1).Select(_ => Range("a")) },
        }, s.Admin))),
        new("txn: nested ops count against --max-txn-ops", TooManyOps, async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Success =
            {
                Enumerable.Range(0, 100).Select(_ => Range("a")),
                new RequestOp { RequestTxn = new TxnRequest { Success = { Enumerable.Range(0, 30).Select(_ => Range("b")) } } },
            },
        }, s.Admin))),
        new("txn: nested 40 deep", "OK succeeded=true responses=1", async s => Nested(await RawTxnAsync(s, Deep(40)))),
        new("txn: nested 60 deep", TooManyOps, async s => Nested(await RawTxnAsync(s, Deep(60))))
        {
            Etcd34 = "OK succeeded=true responses=1",
            Why = "kvstore takes requests nested at most 98 protobuf levels (a txn in txns 49 deep); etcd parses any depth and refuses only txns nested past --max-txn-ops",
        },
        new("txn: nested 200 deep (deeper than --max-txn-ops)", TooManyOps, async s => Nested(await RawTxnAsync(s, Deep(200)))),
        new("txn: one key put twice", DuplicateKey, async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Success = { Put("0dup"), Put("0dup") },
        }, s.Admin))),
        new("txn: a put inside a range the txn deletes", DuplicateKey, async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("0d"), RangeEnd = B("0e") } }, Put("0dx") },
        }, s.Admin))),

        // ranges
        new("range: key after range_end", "OK count=0 keys=[]", async s =>
            Outcome.Of(await s.Kv.RangeAsync(new RangeRequest { Key = B("c"), RangeEnd = B("a") }, s.Admin))),
        new("delete: key after range_end", "OK deleted=0", async s =>
            Outcome.Of(await s.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("c"), RangeEnd = B("a") }, s.Admin))),
        new("range: from a key to the end (range_end \\0)", "OK count=2 keys=[b c]", async s =>
            Outcome.Of(await s.Kv.RangeAsync(new RangeRequest { Key = B("b"), RangeEnd = ByteString.CopyFrom(0) }, s.Admin))),
        new("delete: from past the last key to the end", "OK deleted=0", async s =>
            Outcome.Of(await s.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("zzz"), RangeEnd = ByteString.CopyFrom(0) }, s.Admin))),
        new("range: limit -1", "OK count=3 keys=[a b c]", async s =>
            Outcome.Of(await s.Kv.RangeAsync(new RangeRequest { Key = B("a"), RangeEnd = B("d"), Limit = -1 }, s.Admin))),
        new("range: revision -1", "OK count=3 keys=[a b c]", async s =>
            Outcome.Of(await s.Kv.RangeAsync(new RangeRequest { Key = B("a"), RangeEnd = B("d"), Revision = -1 }, s.Admin))),
        new("range: future revision", FutureRevision, async s =>
            Outcome.Of(await s.Kv.RangeAsync(new RangeRequest { Key = B("a"), Revision = 1_000_000 }, s.Admin))),
        new("range: negative min/max mod and create revisions", "OK count=3 keys=[]", async s => Outcome.Of(await s.Kv.RangeAsync(new RangeRequest
        {
            Key = B("a"), RangeEnd = B("d"), MinModRevision = -5, MaxModRevision = -5, MinCreateRevision = -5, MaxCreateRevision = -5,
        }, s.Admin))),
        new("compact: revision -1", "OutOfRange \"etcdserver: mvcc: required revision has been compacted\"", async s =>
            Ok(await s.Kv.CompactAsync(new CompactionRequest { Revision = -1 }, s.Admin))),
        new("compact: future revision", FutureRevision, async s =>
            Ok(await s.Kv.CompactAsync(new CompactionRequest { Revision = 1_000_000 }, s.Admin))),

        // enum values outside their enums
        new("range: sort order 7", InvalidSortOption, async s => Outcome.Of(await s.Kv.RangeAsync(new RangeRequest
        {
            Key = B("a"), RangeEnd = B("d"), SortOrder = (RangeRequest.Types.SortOrder)7,
        }, s.Admin)))
        {
            Etcd34 = "OK count=3 keys=[a b c]", Why = SortFixedIn35 + " (3.4 sorts nothing)",
        },
        new("range: sort target 9", InvalidSortOption, async s => Outcome.Of(await s.Kv.RangeAsync(new RangeRequest
        {
            Key = B("a"), RangeEnd = B("d"), SortTarget = (RangeRequest.Types.SortTarget)9,
        }, s.Admin)))
        {
            CrashesEtcd34 = true, Why = SortFixedIn35 + " (3.4 sorts with a nil sort.Interface and panics)",
        },
        new("txn: compare target 9", "OK succeeded=true responses=0", async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Compare = { new Compare { Key = B("a"), Target = (Compare.Types.CompareTarget)9, Result = Compare.Types.CompareResult.Equal } },
        }, s.Admin))),
        new("txn: compare result 9", "OK succeeded=true responses=0", async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Compare = { new Compare { Key = B("a"), Target = Compare.Types.CompareTarget.Version, Result = (Compare.Types.CompareResult)9, Version = 99 } },
        }, s.Admin))),
        new("watch: filter 9", "watch created=true canceled=false id=0; then watch created=false canceled=false id=0 events=1", async s =>
        {
            using GrpcChannel channel = s.NewChannel();
            using var call = new Watch.WatchClient(channel).Watch(s.Admin);
            var create = new WatchCreateRequest { Key = B("0filter"), Filters = { (WatchCreateRequest.Types.FilterType)9 } };
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create });
            string created = await NextAsync(call);
            await s.Kv.PutAsync(new PutRequest { Key = B("0filter"), Value = B("v") }, s.Admin);
            return created + "; then " + await NextAsync(call);
        }) { Writes = 1 },
        new("alarm: action 9", "OK alarms=0", async s =>
            $"OK alarms={(await new Maintenance.MaintenanceClient(s.Channel).AlarmAsync(new AlarmRequest { Action = (AlarmRequest.Types.AlarmAction)9 }, s.Admin)).Alarms.Count}")
        {
            CrashesEtcd34 = true, Why = "etcd 3.4's applier answers an action outside the enum with no response, and its gRPC server panics marshaling it",
        },
        new("alarm: get alarm type 9", "OK alarms=0", async s =>
            $"OK alarms={(await new Maintenance.MaintenanceClient(s.Channel).AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get, Alarm = (AlarmType)9 }, s.Admin)).Alarms.Count}"),

        // unknown ids
        new("put: a lease nobody granted", LeaseNotFound, async s =>
            Ok(await s.Kv.PutAsync(new PutRequest { Key = B("0leased"), Value = B("v"), Lease = 424242 }, s.Admin))),
        new("txn: put with a lease nobody granted", LeaseNotFound, async s => Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
        {
            Success = { new RequestOp { RequestPut = new PutRequest { Key = B("0leased"), Value = B("v"), Lease = 424242 } } },
        }, s.Admin))),
        new("lease revoke: unknown id", LeaseNotFound, async s =>
            Ok(await new Lease.LeaseClient(s.Channel).LeaseRevokeAsync(new LeaseRevokeRequest { ID = 424242 }, s.Admin))),
        new("lease time-to-live: unknown id", "OK ttl=-1 granted=0", async s =>
        {
            var r = await new Lease.LeaseClient(s.Channel).LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = 424242, Keys = true }, s.Admin);
            return $"OK ttl={r.TTL} granted={r.GrantedTTL}";
        }),
        new("lease keep-alive: unknown id", "OK id=424242 ttl=0", async s =>
        {
            using GrpcChannel channel = s.NewChannel();
            using var call = new Lease.LeaseClient(channel).LeaseKeepAlive(s.Admin);
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 424242 });
            if (!await call.ResponseStream.MoveNext(CancellationToken.None)) return "stream ended";
            return $"OK id={call.ResponseStream.Current.ID} ttl={call.ResponseStream.Current.TTL}";
        }),
        new("watch: cancel an unknown watch id", "no answer; then watch created=true canceled=false id=0", async s =>
        {
            using GrpcChannel channel = s.NewChannel();
            using var call = new Watch.WatchClient(channel).Watch(s.Admin);
            await call.RequestStream.WriteAsync(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = 77 } });
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("0w") } });
            string first = await NextAsync(call);
            return (first.StartsWith("watch created=true", StringComparison.Ordinal) ? "no answer; then " : "answer: ") + first;
        }),
        new("watch: start revision -5", "watch created=true canceled=true id=-1 reason=\"etcdserver: mvcc: required revision has been compacted\"", async s =>
        {
            using GrpcChannel channel = s.NewChannel();
            using var call = new Watch.WatchClient(channel).Watch(s.Admin);
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("a"), StartRevision = -5 } });
            return await NextAsync(call);
        })
        {
            Etcd34 = "watch created=true canceled=false id=0",
            Why = "etcd 3.5 refuses a negative start revision as compacted at once; 3.4 creates the watch and cancels it at its next sync with compact_revision -1",
        },
    ];

    // ---- pieces ----

    public static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static ByteString Bytes(int n) => ByteString.CopyFrom(new byte[n]);

    private static string Ok(IMessage _) => "OK";

    private static RequestOp Put(string key) => new() { RequestPut = new PutRequest { Key = B(key), Value = B("v") } };

    private static RequestOp Range(string key) => new() { RequestRange = new RangeRequest { Key = B(key) } };

    private static readonly PutRequest OverGrpcLimitPut = new() { Key = B("0huge"), Value = Bytes(600 * 1024) };

    /// <summary>grpc-go's answer to a message over the server's MaxRecvMsgSize.</summary>
    private static string OverGrpcLimit() =>
        $"ResourceExhausted \"grpc: received message larger than max ({OverGrpcLimitPut.CalculateSize()} vs. {PlainPair.MaxRequestBytes + PlainPair.GrpcOverheadBytes})\"";

    /// <summary>A txn holding a txn ... <paramref name="depth"/> levels deep, the innermost reading "a".</summary>
    private static TxnRequest Deep(int depth)
    {
        var txn = new TxnRequest { Success = { Range("a") } };
        for (int i = 1; i < depth; i++) txn = new TxnRequest { Success = { new RequestOp { RequestTxn = txn } } };
        return txn;
    }

    /// <summary>A txn sent and answered as bytes: Grpc.Net.Client's own parser stops at 100 levels of nesting.</summary>
    private static async Task<TxnResponse> RawTxnAsync(HostileSide s, TxnRequest txn) =>
        RawGrpc.Parse<TxnResponse>(await RawGrpc.CallAsync(s.Channel, "etcdserverpb.KV/Txn", txn.ToByteArray(), s.Admin));

    private static string Nested(TxnResponse r) => Outcome.Of(r);

    public static async Task<string> NextAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await call.ResponseStream.MoveNext(timeout.Token) ? Outcome.Of(call.ResponseStream.Current) : "stream ended";
    }
}
