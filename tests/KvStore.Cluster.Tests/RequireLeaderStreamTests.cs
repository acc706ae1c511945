using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.Cluster.Tests;

/// <summary>
/// etcd's monitorLeader: open watch and keep-alive streams whose client asked for a leader (metadata hasleader=true,
/// clientv3.WithRequireLeader) end with "etcdserver: no leader" once the member has had no leader for three election
/// timeouts; a watch that did not ask stays open.
/// </summary>
public sealed class RequireLeaderStreamTests(ITestOutputHelper output)
{
    private static readonly Metadata RequireLeader = new() { { "hasleader", "true" } };

    [Fact]
    public async Task StreamsThatRequireALeaderEndWithNoLeader_OthersStayOpen()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        ClusterMember leader = await cluster.WaitForLeaderAsync();
        ClusterMember survivor = cluster.Members.First(m => m != leader);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        using var required = survivor.Watch.Watch(RequireLeader, cancellationToken: stop.Token);
        using var plain = survivor.Watch.Watch(cancellationToken: stop.Token);
        foreach (var call in new[] { required, plain })
        {
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = Key("k") } });
            Assert.True(await call.ResponseStream.MoveNext(stop.Token));
            Assert.True(call.ResponseStream.Current.Created);
        }
        long lease = await GrantAsync(survivor, stop.Token);
        using var keepAlive = survivor.Lease.LeaseKeepAlive(RequireLeader, cancellationToken: stop.Token);
        await keepAlive.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease });
        Assert.True(await keepAlive.ResponseStream.MoveNext(stop.Token));
        Task<bool> plainNext = plain.ResponseStream.MoveNext(stop.Token);

        foreach (ClusterMember m in cluster.Members.Where(m => m != survivor)) cluster.Kill(m);
        DateTime killed = DateTime.UtcNow;

        RpcException watchEnded = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(required.ResponseStream, stop.Token));
        output.WriteLine($"the watch that requires a leader ended {(DateTime.UtcNow - killed).TotalSeconds:F1} s after the others stopped");
        Assert.Equal((StatusCode.Unavailable, "etcdserver: no leader"), (watchEnded.StatusCode, watchEnded.Status.Detail));
        RpcException keepAliveEnded = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(keepAlive.ResponseStream, stop.Token));
        Assert.Equal((StatusCode.Unavailable, "etcdserver: no leader"), (keepAliveEnded.StatusCode, keepAliveEnded.Status.Detail));

        // The watch without hasleader is still open: nothing arrives, the stream does not end.
        Assert.NotSame(plainNext, await Task.WhenAny(plainNext, Task.Delay(TimeSpan.FromSeconds(3), stop.Token)));
    }

    private static async Task DrainAsync<T>(IAsyncStreamReader<T> stream, CancellationToken token)
    {
        while (await stream.MoveNext(token))
        {
        }
    }

    private static ByteString Key(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>
    /// A lease of 600 s, asked again while an election just after the start answers "leader changed" (as etcd's
    /// clients retry): once in a loaded full suite the first grant got it. Which member leads does not matter here.
    /// </summary>
    private static async Task<long> GrantAsync(ClusterMember member, CancellationToken token)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return (await member.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 600 }, cancellationToken: token)).ID;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && attempt < 20)
            {
                await Task.Delay(250, token);
            }
        }
    }
}
