using System.Globalization;
using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Mvcc.Watch;
using KvStore.Server;
using Mvccpb;

namespace KvStore.Grpc;

/// <summary>
/// The client calls etcd's v3lock and v3election servers make through clientv3/concurrency (session.go, key.go,
/// the txns and gets of mutex.go and election.go), done in process: proposals to the member, linearizable reads
/// of the engine, and waiting on the engine's watch streams. A failure reaches the caller as it does through
/// etcd's in-process client (<see cref="ErrorTable.ThroughClient(EtcdServerException)"/>). Each call carries the caller of
/// the lock or election request, as etcd's in-process client carries its context's token.
/// </summary>
internal sealed class ConcurrencyRecipes(IEtcdServer server, LeaseIdGenerator ids)
{
    /// <summary>concurrency's defaultSessionTTL: the lease a session grants when it is given none.</summary>
    public const long DefaultSessionTtl = 60;

    /// <summary>
    /// concurrency.NewSession(WithLease(lease)) as the servers use it: lease 0 (NoLease) grants a new lease of
    /// 60 s, which nothing keeps alive (the servers orphan their sessions); any other id is taken as it is.
    /// </summary>
    public async Task<long> SessionLeaseAsync(long lease, Caller caller, CancellationToken ct)
    {
        if (lease != 0) return lease;
        var grant = new LeaseGrantRequest { ID = ids.Next(), TTL = DefaultSessionTtl };
        return (await ThroughClient(server.LeaseGrantAsync(grant, caller, ct)).ConfigureAwait(false)).ID;
    }

    /// <summary>A recipe's key prefix: the name and "/" (NewMutex, NewElection).</summary>
    public static ByteString Prefix(ByteString name) => Concat(name.Span, "/"u8);

    /// <summary>The key a session holds under a prefix: fmt.Sprintf("%s%x", pfx, lease).</summary>
    public static ByteString SessionKey(ByteString prefix, long lease)
    {
        // Go's %x of an int64: lowercase hex without padding, a minus sign before a negative value.
        Span<byte> hex = stackalloc byte[17];
        int sign = 0;
        ulong magnitude = unchecked((ulong)lease);
        if (lease < 0)
        {
            hex[sign++] = (byte)'-';
            magnitude = unchecked(0UL - magnitude);
        }
        magnitude.TryFormat(hex[sign..], out int written, "x", CultureInfo.InvariantCulture);
        return Concat(prefix.Span, hex[..(sign + written)]);
    }

    /// <summary>clientv3.Compare(CreateRevision(key), "=", revision).</summary>
    public static Compare CreateRevisionIs(ByteString key, long revision) =>
        new() { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = revision };

    public static RequestOp Put(ByteString key, ByteString value, long lease) =>
        new() { RequestPut = new PutRequest { Key = key, Value = value, Lease = lease } };

    public static RequestOp Get(ByteString key) => new() { RequestRange = new RangeRequest { Key = key } };

    /// <summary>clientv3.OpGet(pfx, WithFirstCreate()...): the key under the prefix created first.</summary>
    public static RequestOp GetFirstCreated(ByteString prefix) => new() { RequestRange = FirstCreated(prefix) };

    public static RequestOp Delete(ByteString key) => new() { RequestDeleteRange = new DeleteRangeRequest { Key = key } };

    /// <summary>A txn through the member (every recipe txn writes in one branch, so etcd proposes it too).</summary>
    public Task<TxnResponse> TxnAsync(TxnRequest txn, Caller caller, CancellationToken ct) => ThroughClient(server.TxnAsync(txn, caller, ct));

    /// <summary>clientv3 Get: linearizable (a confirmed read index, then the local engine).</summary>
    public Task<RangeResponse> GetAsync(RangeRequest request, Caller caller, CancellationToken ct) =>
        ThroughClient(server.RangeAsync(request, caller, ct));

    /// <summary>clientv3 Get(pfx, WithFirstCreate()...): the leader of an election, the holder of a lock.</summary>
    public Task<RangeResponse> GetFirstCreatedAsync(ByteString prefix, Caller caller, CancellationToken ct) =>
        GetAsync(FirstCreated(prefix), caller, ct);

    /// <summary>clientv3 Delete of one key.</summary>
    public Task<DeleteRangeResponse> DeleteAsync(ByteString key, Caller caller, CancellationToken ct)
    {
        var request = new DeleteRangeRequest { Key = key };
        MvccError invalid = RequestValidation.CheckDelete(request);
        if (invalid != MvccError.None) throw ErrorTable.ThroughClient(invalid);
        return ThroughClient(server.DeleteRangeAsync(request, caller, ct));
    }

    /// <summary>A verb's answer, or its error as etcd's in-process client passes it on.</summary>
    private static async Task<T> ThroughClient<T>(Task<T> call)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (EtcdServerException e)
        {
            throw ErrorTable.ThroughClient(e);
        }
    }

    /// <summary>
    /// concurrency's waitDeletes: until no key under the prefix has a create revision at or below
    /// <paramref name="maxCreateRevision"/>, waits for the deletion of the newest such key (each waiter watches
    /// only the one just ahead of it, so a release wakes one waiter). Returns the header of the last get.
    /// </summary>
    public async Task<ResponseHeader> WaitDeletesAsync(ByteString prefix, long maxCreateRevision, Caller caller, CancellationToken ct)
    {
        RangeRequest lastCreated = FirstCreated(prefix);
        lastCreated.SortOrder = RangeRequest.Types.SortOrder.Descend;
        lastCreated.MaxCreateRevision = maxCreateRevision;
        while (true)
        {
            RangeResponse response = await GetAsync(lastCreated, caller, ct).ConfigureAwait(false);
            if (response.Kvs.Count == 0) return response.Header;
            await WaitDeleteAsync(response.Kvs[0].Key, response.Header.Revision, ct).ConfigureAwait(false);
        }
    }

    /// <summary>concurrency's waitDelete: watches the key from <paramref name="revision"/> until an event deletes it.</summary>
    private async Task WaitDeleteAsync(ByteString key, long revision, CancellationToken ct)
    {
        await foreach (WatchResponse response in WatchAsync(key, ByteString.Empty, revision, ct).ConfigureAwait(false))
        {
            // clientv3 closes a watch whose start was compacted with ErrCompacted, which waitDelete returns.
            if (response.CompactRevision != 0) throw ErrorTable.ThroughClient(MvccError.Compacted);
            if (response.Events.Any(e => e.Type == Event.Types.EventType.Delete)) return;
        }
    }

    /// <summary>
    /// One watcher on the engine (key and range_end as in a watch request) from <paramref name="startRevision"/>:
    /// its responses until the caller stops or cancels; the last is a compaction notice when the start was compacted.
    /// </summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(ByteString key, ByteString rangeEnd, long startRevision,
        [EnumeratorCancellation] CancellationToken ct)
    {
        using WatchStream stream = server.NewWatchStream();
        MvccResult<WatchCreated> created = stream.Watch(key.Span, rangeEnd.Span, startRevision);
        if (created.Response is null) throw ErrorTable.ThroughClient(created.Error);
        while (true)
        {
            WatchResponse response = await stream.ReadAsync(ct).ConfigureAwait(false);
            yield return response;
            if (response.CompactRevision != 0) yield break;
        }
    }

    /// <summary>clientv3.GetPrefixRangeEnd: the prefix with its last byte below 0xff incremented, "\0" when there is none.</summary>
    public static ByteString PrefixEnd(ByteString prefix)
    {
        ReadOnlySpan<byte> p = prefix.Span;
        for (int i = p.Length - 1; i >= 0; i--)
        {
            if (p[i] == 0xff) continue;
            byte[] end = p[..(i + 1)].ToArray();
            end[i]++;
            return UnsafeByteOperations.UnsafeWrap(end);
        }
        return UnsafeByteOperations.UnsafeWrap(new byte[] { 0 });
    }

    /// <summary>clientv3 WithFirstCreate: the prefix sorted by create revision, ascending, limit 1.</summary>
    private static RangeRequest FirstCreated(ByteString prefix) => new()
    {
        Key = prefix,
        RangeEnd = PrefixEnd(prefix),
        SortTarget = RangeRequest.Types.SortTarget.Create,
        SortOrder = RangeRequest.Types.SortOrder.Ascend,
        Limit = 1,
    };

    private static ByteString Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        byte[] bytes = new byte[a.Length + b.Length];
        a.CopyTo(bytes);
        b.CopyTo(bytes.AsSpan(a.Length));
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }
}
