using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Grpc.Embedded;
using KvStore.Server;

namespace KvStore.Grpc.Tests;

/// <summary>etcd's embed + v3client: a member in this process, its services called without a socket.</summary>
public sealed class EmbeddedMemberTests
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static ServerConfig Config()
    {
        int port = Ports.Free();
        return new ServerConfig
        {
            DataDir = Path.Combine(Path.GetTempPath(), "kvstore-embed-tests", Guid.NewGuid().ToString("N")),
            ListenPeerUrls = [new($"http://127.0.0.1:{port}")],
            InitialAdvertisePeerUrls = [new($"http://127.0.0.1:{port}")],
            InitialCluster = $"default=http://127.0.0.1:{port}",
            ElectionTimeoutMs = 300,
            HeartbeatIntervalMs = 50,
        };
    }

    [Fact]
    public async Task UnaryCallsReachTheMemberAndErrorsKeepEtcdsCodes()
    {
        ServerConfig config = Config();
        await using (EmbeddedMember member = await EmbeddedMember.StartAsync(config))
        {
            PutResponse put = await member.Kv.PutAsync(new PutRequest { Key = B("embedded"), Value = B("yes") });
            Assert.Equal(2, put.Header.Revision);
            Assert.Equal(member.Server.ClusterId, put.Header.ClusterId);
            RangeResponse range = await member.Kv.RangeAsync(new RangeRequest { Key = B("embedded") });
            Assert.Equal("yes", range.Kvs.Single().Value.ToStringUtf8());

            var e = await Assert.ThrowsAsync<RpcException>(async () => await member.Kv.RangeAsync(new RangeRequest { Key = B("embedded"), Revision = 100 }));
            Assert.Equal(StatusCode.OutOfRange, e.StatusCode);
            Assert.Equal("etcdserver: mvcc: required revision is a future revision", e.Status.Detail);

            MemberListResponse members = await member.Cluster.MemberListAsync(new MemberListRequest());
            Assert.Equal(member.Server.MemberId, members.Members.Single().ID);
        }
        Directory.Delete(config.DataDir, recursive: true);
    }

    [Fact]
    public async Task AuthTokensTravelAsMetadataInProcess()
    {
        ServerConfig config = Config() with { BcryptCost = 4 };
        await using (EmbeddedMember member = await EmbeddedMember.StartAsync(config))
        {
            await member.Auth.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = "pw" });
            await member.Auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" });
            await member.Auth.AuthEnableAsync(new AuthEnableRequest());
            var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await member.Kv.PutAsync(new PutRequest { Key = B("k"), Value = B("v") }));
            Assert.Equal("etcdserver: user name is empty", anonymous.Status.Detail);
            string token = (await member.Auth.AuthenticateAsync(new AuthenticateRequest { Name = "root", Password = "pw" })).Token;
            var headers = new Metadata { { "token", token } };
            await member.Kv.PutAsync(new PutRequest { Key = B("k"), Value = B("v") }, headers);
            await using var watch = new WatchCall(member.Watch, headers);
            await watch.CreateAsync(new WatchCreateRequest { Key = B("k") });
            Assert.False((await watch.NextAsync()).Canceled);
        }
        Directory.Delete(config.DataDir, recursive: true);
    }

    [Fact]
    public async Task StreamsWorkInProcess()
    {
        ServerConfig config = Config();
        await using (EmbeddedMember member = await EmbeddedMember.StartAsync(config))
        {
            using var watch = member.Watch.Watch();
            await watch.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("w/"), RangeEnd = B("w0") } });
            Assert.True(await watch.ResponseStream.MoveNext(default));
            Assert.True(watch.ResponseStream.Current.Created);
            await member.Kv.PutAsync(new PutRequest { Key = B("w/1"), Value = B("v") });
            Assert.True(await watch.ResponseStream.MoveNext(default));
            Assert.Equal("w/1", watch.ResponseStream.Current.Events.Single().Kv.Key.ToStringUtf8());
            await watch.RequestStream.CompleteAsync();

            LeaseGrantResponse grant = await member.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 30 });
            using var keepAlive = member.Lease.LeaseKeepAlive();
            await keepAlive.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = grant.ID });
            Assert.True(await keepAlive.ResponseStream.MoveNext(default));
            Assert.Equal(30, keepAlive.ResponseStream.Current.TTL);
            await keepAlive.RequestStream.CompleteAsync();

            using var snapshot = member.Maintenance.Snapshot(new SnapshotRequest());
            long bytes = 0;
            while (await snapshot.ResponseStream.MoveNext(default)) bytes += snapshot.ResponseStream.Current.Blob.Length;
            Assert.True(bytes > 0);
        }
        Directory.Delete(config.DataDir, recursive: true);
    }
}
