extern alias dotnetetcd;

using System.Collections.Concurrent;
using dotnetetcd::dotnet_etcd;
using Google.Protobuf;
using Grpc.Core;
using EtcdPb = dotnetetcd::Etcdserverpb;
using PbEvent = dotnetetcd::Mvccpb.Event;

namespace KvStore.Differential.Tests;

/// <summary>
/// The independent dotnet-etcd client (its own generated stubs, retry policy and watch manager) against a kvstore
/// process on an h2c <c>http://</c> endpoint: dotnet-etcd's SocketsHttpHandler speaks HTTP/2 with prior knowledge
/// to http:// addresses, so nothing needs configuring. The same tests run against real etcd 3.4, so what they
/// expect is etcd's behaviour.
/// </summary>
public abstract class DotnetEtcdClientTests(EtcdClient client)
{
    private readonly EtcdClient _client = client;
    private readonly string _p = "t" + Guid.NewGuid().ToString("N")[..8] + "/";

    public sealed class OnKvStore(KvStoreFixture fixture) : DotnetEtcdClientTests(fixture.Client), IClassFixture<KvStoreFixture>;

    public sealed class OnEtcd(EtcdFixture fixture) : DotnetEtcdClientTests(fixture.Client), IClassFixture<EtcdFixture>;

    public abstract class ServerFixture : IDisposable
    {
        private readonly SingleMember _server;

        protected ServerFixture(SingleMember server)
        {
            _server = server;
            Client = new EtcdClient(_server.ClientUrl);
        }

        public EtcdClient Client { get; }

        public void Dispose()
        {
            Client.Dispose();
            _server.Dispose();
            GC.SuppressFinalize(this);
        }
    }

    public sealed class KvStoreFixture() : ServerFixture(Servers.StartKvStore());

    public sealed class EtcdFixture() : ServerFixture(Servers.StartEtcd());

    [Fact]
    public async Task Put_get_get_range_and_delete()
    {
        var put = await _client.PutAsync(_p + "a", "1");
        Assert.True(put.Header.Revision > 1);
        await _client.PutAsync(_p + "b", "2");
        await _client.PutAsync(_p + "c", "3");

        Assert.Equal("1", await _client.GetValAsync(_p + "a"));
        var get = await _client.GetAsync(_p + "b");
        Assert.Equal(1, get.Count);
        Assert.Equal("2", get.Kvs[0].Value.ToStringUtf8());
        Assert.Equal(1, get.Kvs[0].Version);
        Assert.Equal(get.Kvs[0].CreateRevision, get.Kvs[0].ModRevision);
        Assert.Equal("", await _client.GetValAsync(_p + "missing"));

        var range = await _client.GetRangeAsync(_p);
        Assert.Equal([_p + "a", _p + "b", _p + "c"], range.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        var vals = await _client.GetRangeValAsync(_p);
        Assert.Equal("3", vals[_p + "c"]);

        var del = await _client.DeleteAsync(_p + "a");
        Assert.Equal(1, del.Deleted);
        var delRange = await _client.DeleteRangeAsync(_p);
        Assert.Equal(2, delRange.Deleted);
        Assert.Equal(0, (await _client.GetRangeAsync(_p)).Count);
    }

    [Fact]
    public async Task Transaction_compare_and_swap()
    {
        var key = ByteString.CopyFromUtf8(_p + "cas");
        await _client.PutAsync(_p + "cas", "old");
        EtcdPb.TxnRequest Cas(string expected, string next) => new()
        {
            Compare = { new EtcdPb.Compare { Key = key, Target = EtcdPb.Compare.Types.CompareTarget.Value, Result = EtcdPb.Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8(expected) } },
            Success = { new EtcdPb.RequestOp { RequestPut = new EtcdPb.PutRequest { Key = key, Value = ByteString.CopyFromUtf8(next), PrevKv = true } } },
            Failure = { new EtcdPb.RequestOp { RequestRange = new EtcdPb.RangeRequest { Key = key } } },
        };

        var ok = await _client.TransactionAsync(Cas("old", "new"));
        Assert.True(ok.Succeeded);
        Assert.Equal("old", ok.Responses[0].ResponsePut.PrevKv.Value.ToStringUtf8());

        var failed = await _client.TransactionAsync(Cas("old", "newer"));
        Assert.False(failed.Succeeded);
        Assert.Equal("new", failed.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
        Assert.Equal(ok.Header.Revision, failed.Header.Revision);
    }

    [Fact]
    public async Task Watch_delivers_puts_and_deletes_in_order()
    {
        var events = new BlockingCollection<PbEvent>();
        var watchId = await _client.WatchAsync(
            new EtcdPb.WatchRequest { CreateRequest = new EtcdPb.WatchCreateRequest { Key = ByteString.CopyFromUtf8(_p), RangeEnd = ByteString.CopyFromUtf8(_p[..^1] + "0"), PrevKv = true } },
            (EtcdPb.WatchResponse r) =>
            {
                foreach (var e in r.Events) events.Add(e);
            });
        await _client.PutAsync(_p + "x", "1");
        await _client.PutAsync(_p + "x", "2");
        await _client.DeleteAsync(_p + "x");

        var got = new List<PbEvent>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(events.TryTake(out var e, TimeSpan.FromSeconds(10)), $"only {i} events");
            got.Add(e!);
        }
        Assert.Equal([PbEvent.Types.EventType.Put, PbEvent.Types.EventType.Put, PbEvent.Types.EventType.Delete], got.Select(e => e.Type));
        Assert.Equal(["1", "2", ""], got.Select(e => e.Kv.Value.ToStringUtf8()));
        Assert.Equal("1", got[1].PrevKv.Value.ToStringUtf8());
        Assert.Equal("2", got[2].PrevKv.Value.ToStringUtf8());
        Assert.True(got[0].Kv.ModRevision < got[1].Kv.ModRevision && got[1].Kv.ModRevision < got[2].Kv.ModRevision);

        _client.CancelWatch(watchId);
    }

    [Fact]
    public async Task Lease_grant_keep_alive_attach_and_revoke()
    {
        var grant = await _client.LeaseGrantAsync(new EtcdPb.LeaseGrantRequest { TTL = 5 });
        Assert.Equal(5, grant.TTL);
        Assert.NotEqual(0, grant.ID);
        await _client.PutAsync(new EtcdPb.PutRequest { Key = ByteString.CopyFromUtf8(_p + "leased"), Value = ByteString.CopyFromUtf8("v"), Lease = grant.ID });

        using var keepAlive = new CancellationTokenSource();
        var renewals = new ConcurrentQueue<EtcdPb.LeaseKeepAliveResponse>();
        var loop = _client.LeaseKeepAlive(new EtcdPb.LeaseKeepAliveRequest { ID = grant.ID }, renewals.Enqueue, cancellationToken: keepAlive.Token);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (renewals.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(renewals.TryPeek(out var renewed));
        Assert.Equal(grant.ID, renewed.ID);
        Assert.Equal(5, renewed.TTL);
        await keepAlive.CancelAsync();
        try
        {
            await loop;
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException)
        {
        }

        var ttl = await _client.LeaseTimeToLiveAsync(new EtcdPb.LeaseTimeToLiveRequest { ID = grant.ID, Keys = true });
        Assert.Equal(5, ttl.GrantedTTL);
        Assert.InRange(ttl.TTL, 1, 5);
        Assert.Equal(_p + "leased", Assert.Single(ttl.Keys).ToStringUtf8());

        await _client.LeaseRevokeAsync(new EtcdPb.LeaseRevokeRequest { ID = grant.ID });
        Assert.Equal(0, (await _client.GetAsync(_p + "leased")).Count);
        Assert.Equal(-1, (await _client.LeaseTimeToLiveAsync(new EtcdPb.LeaseTimeToLiveRequest { ID = grant.ID })).TTL);
    }

    [Fact]
    public async Task Errors_carry_etcd_codes_and_messages()
    {
        var revoke = await Assert.ThrowsAsync<RpcException>(() => _client.LeaseRevokeAsync(new EtcdPb.LeaseRevokeRequest { ID = 0x7fff_0000_1234 }));
        Assert.Equal(StatusCode.NotFound, revoke.StatusCode);
        Assert.Equal("etcdserver: requested lease not found", revoke.Status.Detail);

        var ignore = await Assert.ThrowsAsync<RpcException>(() => _client.PutAsync(new EtcdPb.PutRequest { Key = ByteString.CopyFromUtf8(_p + "none"), IgnoreValue = true }));
        Assert.Equal(StatusCode.InvalidArgument, ignore.StatusCode);
        Assert.Equal("etcdserver: key not found", ignore.Status.Detail);

        var empty = await Assert.ThrowsAsync<RpcException>(() => _client.PutAsync(new EtcdPb.PutRequest { Value = ByteString.CopyFromUtf8("v") }));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Equal("etcdserver: key is not provided", empty.Status.Detail);

        var put = await _client.PutAsync(_p + "rev", "v");
        var future = await Assert.ThrowsAsync<RpcException>(() => _client.GetAsync(new EtcdPb.RangeRequest { Key = ByteString.CopyFromUtf8(_p + "rev"), Revision = put.Header.Revision + 100 }));
        Assert.Equal(StatusCode.OutOfRange, future.StatusCode);
        Assert.Equal("etcdserver: mvcc: required revision is a future revision", future.Status.Detail);

        await _client.PutAsync(_p + "rev", "w");
        await _client.CompactAsync(new EtcdPb.CompactionRequest { Revision = put.Header.Revision + 1 });
        var compacted = await Assert.ThrowsAsync<RpcException>(() => _client.GetAsync(new EtcdPb.RangeRequest { Key = ByteString.CopyFromUtf8(_p + "rev"), Revision = put.Header.Revision }));
        Assert.Equal(StatusCode.OutOfRange, compacted.StatusCode);
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", compacted.Status.Detail);

        var dup = await Assert.ThrowsAsync<RpcException>(() => _client.TransactionAsync(new EtcdPb.TxnRequest
        {
            Success =
            {
                new EtcdPb.RequestOp { RequestPut = new EtcdPb.PutRequest { Key = ByteString.CopyFromUtf8(_p + "d"), Value = ByteString.CopyFromUtf8("1") } },
                new EtcdPb.RequestOp { RequestPut = new EtcdPb.PutRequest { Key = ByteString.CopyFromUtf8(_p + "d"), Value = ByteString.CopyFromUtf8("2") } },
            },
        }));
        Assert.Equal(StatusCode.InvalidArgument, dup.StatusCode);
        Assert.Equal("etcdserver: duplicate key given in txn request", dup.Status.Detail);
    }
}
